/* tapegrad.h — the umbrella header: include this one and link with -ltapegrad
 * (`pkg-config --cflags --libs tapegrad`).
 *
 * Modules: tensor/ (float32 arrays, RNG, kernels), autograd/ (the tape, the parameter
 * store, the differentiable ops, gradcheck; autograd/op.h for writing your own op).
 * A first program is at the top of autograd/autograd.h and in README.md.
 */
#ifndef TAPEGRAD_H
#define TAPEGRAD_H

#include "tensor/error.h"
#include "tensor/tensor.h"
#include "autograd/autograd.h"
#include "autograd/op.h"
#include "layers/layers.h"
#include "optim/optim.h"
#include "data/data.h"
#include "train/train.h"

#endif /* TAPEGRAD_H */
