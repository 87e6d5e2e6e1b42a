/* examples/tiny_mlp.c — the quick-start job for now: a 2-16-1 MLP learns XOR with plain
 * SGD written by hand on the tape, printing its loss. A later example (bitcoin) becomes
 * the main job. Not a showcase of layers/ or optim/: those modules come later. */
#include <stdio.h>

#include "tapegrad.h"

int main(void)
{
    const float xs[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
    const float ys[4] = {0, 1, 1, 0};
    tg_tensor *x = tg_tensor_from(TG_SHAPE(4, 2), xs);
    tg_tensor *y = tg_tensor_from(TG_SHAPE(4, 1), ys);

    tg_params *ps = tg_params_new();
    tg_tensor *w1 = tg_params_add(ps, "fc1.weight", TG_SHAPE(16, 2)); /* (out, in) */
    tg_tensor *b1 = tg_params_add(ps, "fc1.bias", TG_SHAPE(16));
    tg_tensor *w2 = tg_params_add(ps, "fc2.weight", TG_SHAPE(1, 16));
    tg_tensor *b2 = tg_params_add(ps, "fc2.bias", TG_SHAPE(1));
    tg_rng rng;
    tg_rng_seed(&rng, 42, 0);
    tg_init_uniform_fan(w1, &rng, 2);
    tg_init_uniform_fan(b1, &rng, 2);
    tg_init_uniform_fan(w2, &rng, 16);
    tg_init_uniform_fan(b2, &rng, 16);

    tg_tape *tp = tg_tape_new();
    float loss_value = 0.0f;
    for (int step = 0; step <= 2000; step++) {
        tg_tape_reset(tp);
        tg_params_zero_grad(ps);
        tg_tensor *h = tg_tanh(tp, tg_linear(tp, x, w1, b1));       /* (4, 16) */
        tg_tensor *p = tg_sigmoid(tp, tg_linear(tp, h, w2, b2));    /* (4, 1) */
        tg_tensor *loss = tg_mean(tp, tg_square(tp, tg_sub(tp, p, y)));
        tg_backward(tp, loss);
        loss_value = loss->data[0];
        for (int i = 0; i < tg_params_count(ps); i++) {             /* SGD, lr 1 */
            tg_tensor *w = tg_params_at(ps, i);
            for (int64_t j = 0; j < w->size; j++) w->data[j] -= 1.0f * w->grad[j];
        }
        if (step % 250 == 0) printf("step %4d  mse %.6f\n", step, loss_value);
    }
    printf("final mse %.6f (%s)\n", loss_value, loss_value < 0.01f ? "learned XOR" : "not yet");
    tg_tape_free(tp);
    tg_params_free(ps);
    tg_tensor_free(x);
    tg_tensor_free(y);
    return loss_value < 0.01f ? 0 : 1;
}
