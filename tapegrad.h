/* tapegrad.h — the umbrella header: include this one and link with -ltapegrad
 * (`pkg-config --cflags --libs tapegrad`).
 *
 * Modules: tensor/ (float32 arrays, RNG, kernels), autograd/ (the tape, the parameter
 * store, the differentiable ops, gradcheck; autograd/op.h for writing your own op),
 * layers/ (linear, dropout, embedding, losses, the sequence runner and its cells), optim/
 * (optimizers, clipping, schedules), data/ (CSV, scalers, windows, batches), train/
 * (safetensors, a sequential model, fit), plot/ (PNG and SVG line charts).
 * A first program is at the top of autograd/autograd.h and in README.md.
 */
#ifndef TAPEGRAD_H
#define TAPEGRAD_H

#include "tensor/error.h"
#include "tensor/tensor.h"
#include "autograd/autograd.h"
#include "autograd/op.h"
#include "layers/layers.h"
#include "layers/variants/variants.h"
#include "optim/optim.h"
#include "data/data.h"
#include "train/train.h"
#include "plot/plot.h"
#include "dist/dist.h"

#endif /* TAPEGRAD_H */
