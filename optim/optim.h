/* optim/optim.h — optimizers over a parameter store, gradient clipping, learning-rate
 * schedules.
 *
 * Fit w to minimize sum((w - 3)^2) with Adam (PyTorch's formula and defaults):
 *
 *     tg_params *ps = tg_params_new();
 *     tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(4));          // zeros
 *     tg_adam_opts ao = tg_adam_defaults();   // lr 1e-3, betas (0.9, 0.999), eps 1e-8
 *     ao.lr = 0.1;
 *     tg_optim *opt = tg_optim_adam(ps, &ao);
 *     tg_tape *tp = tg_tape_new();
 *     for (int epoch = 0; epoch < 200; epoch++) {
 *         tg_optim_set_lr(opt, tg_lr_cosine(0.1, epoch, 200, 0.0));  // a schedule, if any
 *         tg_tape_reset(tp);
 *         tg_optim_zero_grad(opt);                                   // grads accumulate
 *         tg_tensor *loss = tg_sum(tp, tg_square(tp, tg_add_scalar(tp, w, -3.0f)));
 *         tg_backward(tp, loss);                                     // fills w->grad
 *         if (tg_clip_grad_norm(ps, 10.0, NULL) != TG_OK) break;   // NaN/Inf gradients
 *         tg_optim_step(opt);                                        // w moves toward 3
 *     }
 *     tg_optim_free(opt);                    // the store and its tensors stay the caller's
 *     tg_tape_free(tp);
 *     tg_params_free(ps);
 *
 * An optimizer sees only a tg_params store, never layers: each step it walks the store
 * in insertion order and updates every parameter's data from its grad. Each algorithm has
 * an options struct and a defaults function; passing NULL options means the defaults of
 * that constructor. The usual way to change one value:
 *
 *     tg_sgd_opts so = tg_sgd_defaults();  so.momentum = 0.9;  so.nesterov = true;
 *
 * (A compound literal such as &(tg_adam_opts){.lr = 0.1} sets every field it omits to 0,
 * eps included, and the constructor rejects it: start from the defaults function.)
 *
 * Formulas follow PyTorch 1.13 (torch/optim/adam.py and its siblings) unless the name
 * says Keras. The Keras variants follow Keras 3 / tf.keras >= 2.11 and differ where the
 * epsilon sits:
 *   RMSprop:  PyTorch  p -= lr g / (sqrt(v) + eps)         (eps outside the root)
 *             Keras    p -= lr g / sqrt(v + eps)           (eps inside the root)
 *   Adam:     PyTorch  p -= lr/(1-b1^t) m / (sqrt(v/(1-b2^t)) + eps)
 *             Keras    p -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)  ("epsilon hat")
 * The Keras parity data in tests/fixtures/optim.txt come from those formulas written out in
 * float64 by tools/make_fixtures_optim.py (Keras itself is not installed there); the
 * PyTorch data come from torch.optim itself.
 *
 * Memory: optimizer state (momentum buffers, moment estimates, ...) is allocated on the
 * first step, per parameter, and reused: every later step makes no heap allocation.
 * Parameters added to the store after the optimizer was made are supported: their state is
 * made on their first step, and each parameter keeps its own step count t (as PyTorch's
 * per-parameter state['step']), so a late parameter starts with t = 1 and correct bias
 * correction. A parameter whose grad is NULL or whose TG_REQUIRES_GRAD flag is cleared is
 * frozen: steps and clipping skip it and its t does not advance.
 *
 * Errors. Options are checked when the optimizer (or schedule) is made: a negative lr,
 * a beta outside [0, 1), Nesterov without momentum, a NULL store and the like are
 * contract violations (a programming error: reported with the caller's file:line through
 * the contract handler, see tensor/error.h). Values read from a config file should be
 * validated by the program before they get here. Non-finite gradients during training
 * are an outside-world failure: tg_clip_grad_norm returns TG_ERR_NUMERIC for them.
 * tg_optim_step itself does not scan for NaN (it would cost a pass): a NaN gradient
 * propagates into the parameter, as in PyTorch.
 *
 * Threads: every update is elementwise, split across OpenMP threads above a size
 * threshold; results are bit-identical at any thread count. Scalars (lr, betas, bias
 * corrections) are computed in double, the elementwise math in float32 like PyTorch.
 *
 * What this is not: per-parameter-group options (make two stores and two optimizers),
 * AMSGrad, maximize, sparse gradients, or thread safety per optimizer. Saving state is
 * the checkpoint's job (train/); the accessors below give it the buffers by name.
 */
#ifndef TG_OPTIM_H
#define TG_OPTIM_H

#include "autograd/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_optim tg_optim;

/* ---- options, one struct and one defaults function per formula ---------------------- */

/* SGD (PyTorch). g += wd p; with momentum: buf = g on a parameter's first step, then
 * buf = momentum buf + (1 - dampening) g; g = nesterov ? g + momentum buf : buf;
 * p -= lr g. PyTorch requires lr; our default is 1e-2 (Keras' SGD default). */
typedef struct tg_sgd_opts {
    double lr;           /* 1e-2 */
    double momentum;     /* 0 */
    double dampening;    /* 0 */
    double weight_decay; /* 0 (L2: added to the gradient) */
    bool nesterov;       /* false; needs momentum > 0 and dampening 0 */
} tg_sgd_opts;
tg_sgd_opts tg_sgd_defaults(void);

/* RMSprop (PyTorch). g += wd p; sq = alpha sq + (1 - alpha) g^2;
 * centered: ga = alpha ga + (1 - alpha) g, avg = sqrt(sq - ga^2) + eps,
 * else avg = sqrt(sq) + eps; momentum > 0: buf = momentum buf + g / avg, p -= lr buf;
 * else p -= lr g / avg. */
typedef struct tg_rmsprop_opts {
    double lr;           /* 1e-2 */
    double alpha;        /* 0.99, the smoothing constant */
    double eps;          /* 1e-8, outside the square root */
    double weight_decay; /* 0 (L2) */
    double momentum;     /* 0 */
    bool centered;       /* false */
} tg_rmsprop_opts;
tg_rmsprop_opts tg_rmsprop_defaults(void);

/* RMSprop as Keras computes it. v = rho v + (1 - rho) g^2;
 * centered: mg = rho mg + (1 - rho) g, d = v - mg^2 + eps, else d = v + eps;
 * inc = lr g / sqrt(d); momentum > 0: m = momentum m + inc, p -= m; else p -= inc.
 * (Keras 3's optional decoupled weight_decay is not offered.) */
typedef struct tg_rmsprop_keras_opts {
    double lr;       /* 1e-3 */
    double rho;      /* 0.9 */
    double eps;      /* 1e-7, inside the square root */
    double momentum; /* 0 */
    bool centered;   /* false */
} tg_rmsprop_keras_opts;
tg_rmsprop_keras_opts tg_rmsprop_keras_defaults(void);

/* Adam (PyTorch) and AdamW share these options; only weight_decay's meaning differs.
 *   Adam:  g += wd p (L2); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *          p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   AdamW: p *= 1 - lr wd (decoupled decay, first), then the Adam step without L2. */
typedef struct tg_adam_opts {
    double lr;           /* 1e-3 */
    double beta1;        /* 0.9 */
    double beta2;        /* 0.999 */
    double eps;          /* 1e-8 */
    double weight_decay; /* Adam 0, AdamW 1e-2 */
} tg_adam_opts;
tg_adam_opts tg_adam_defaults(void);
tg_adam_opts tg_adamw_defaults(void);

/* Adam as Keras computes it: a_t = lr sqrt(1 - b2^t) / (1 - b1^t);
 * m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); p -= a_t m / (sqrt(v) + eps). */
typedef struct tg_adam_keras_opts {
    double lr;    /* 1e-3 */
    double beta1; /* 0.9 */
    double beta2; /* 0.999 */
    double eps;   /* 1e-7, "epsilon hat" (on the uncorrected sqrt(v)) */
} tg_adam_keras_opts;
tg_adam_keras_opts tg_adam_keras_defaults(void);

/* Adagrad (PyTorch). g += wd p; clr = lr / (1 + (t - 1) lr_decay); sum += g^2 (sum starts
 * at initial_accumulator_value); p -= clr g / (sqrt(sum) + eps). */
typedef struct tg_adagrad_opts {
    double lr;                        /* 1e-2 */
    double lr_decay;                  /* 0 */
    double weight_decay;              /* 0 (L2) */
    double initial_accumulator_value; /* 0 */
    double eps;                       /* 1e-10 */
} tg_adagrad_opts;
tg_adagrad_opts tg_adagrad_defaults(void);

/* ---- optimizers ----------------------------------------------------------------------
 * Constructors copy the options (NULL: that constructor's defaults) and allocate only the
 * small optimizer object; the store must outlive the optimizer. Each is a macro adding
 * the caller's file:line for contract messages. Options no one means are contract
 * violations naming the field: a negative or non-finite lr, eps <= 0, a beta, alpha or rho
 * outside [0, 1), ... A struct written as a compound literal with only some fields set has
 * zeros in the rest (eps 0 among them) and is rejected this way: start from the defaults
 * function. */
#define tg_optim_sgd(...) tg_optim_sgd_at(__VA_ARGS__, TG_HERE)
#define tg_optim_rmsprop(...) tg_optim_rmsprop_at(__VA_ARGS__, TG_HERE)
#define tg_optim_rmsprop_keras(...) tg_optim_rmsprop_keras_at(__VA_ARGS__, TG_HERE)
#define tg_optim_adam(...) tg_optim_adam_at(__VA_ARGS__, TG_HERE)
#define tg_optim_adamw(...) tg_optim_adamw_at(__VA_ARGS__, TG_HERE)
#define tg_optim_adam_keras(...) tg_optim_adam_keras_at(__VA_ARGS__, TG_HERE)
#define tg_optim_adagrad(...) tg_optim_adagrad_at(__VA_ARGS__, TG_HERE)
tg_optim *tg_optim_sgd_at(tg_params *ps, const tg_sgd_opts *o, tg_loc loc);
tg_optim *tg_optim_rmsprop_at(tg_params *ps, const tg_rmsprop_opts *o, tg_loc loc);
tg_optim *tg_optim_rmsprop_keras_at(tg_params *ps, const tg_rmsprop_keras_opts *o,
                                    tg_loc loc);
tg_optim *tg_optim_adam_at(tg_params *ps, const tg_adam_opts *o, tg_loc loc);
tg_optim *tg_optim_adamw_at(tg_params *ps, const tg_adam_opts *o, tg_loc loc);
tg_optim *tg_optim_adam_keras_at(tg_params *ps, const tg_adam_keras_opts *o, tg_loc loc);
tg_optim *tg_optim_adagrad_at(tg_params *ps, const tg_adagrad_opts *o, tg_loc loc);

/* One update of every parameter in the store from its current grad. Grads are left as
 * they are (zero them before the next backward). */
#define tg_optim_step(...) tg_optim_step_at(__VA_ARGS__, TG_HERE)
void tg_optim_step_at(tg_optim *o, tg_loc loc);
/* Zeroes the grads of the optimizer's store (tg_params_zero_grad). */
#define tg_optim_zero_grad(...) tg_optim_zero_grad_at(__VA_ARGS__, TG_HERE)
void tg_optim_zero_grad_at(tg_optim *o, tg_loc loc);
/* The learning rate of the next steps: set it from a schedule each epoch. lr >= 0. */
#define tg_optim_set_lr(...) tg_optim_set_lr_at(__VA_ARGS__, TG_HERE)
void tg_optim_set_lr_at(tg_optim *o, double lr, tg_loc loc);
#define tg_optim_get_lr(...) tg_optim_get_lr_at(__VA_ARGS__, TG_HERE)
double tg_optim_get_lr_at(const tg_optim *o, tg_loc loc);
/* Steps taken by this optimizer (tg_optim_step calls), and setting that count (>= 0), as a
 * checkpoint loader does. */
int64_t tg_optim_steps(const tg_optim *o);
#define tg_optim_set_steps(...) tg_optim_set_steps_at(__VA_ARGS__, TG_HERE)
void tg_optim_set_steps_at(tg_optim *o, int64_t steps, tg_loc loc);
/* Its type's name: "SGD", "RMSprop", "RMSprop (Keras)", "Adam", "AdamW", "Adam (Keras)",
 * "Adagrad", or a user type's. */
const char *tg_optim_name(const tg_optim *o);
/* Frees the optimizer and its state; NULL is fine. */
void tg_optim_free(tg_optim *o);

/* ---- optimizer state, by name ----------------------------------------------------------
 * Each parameter has its own buffers, named as PyTorch's optimizer.state_dict() names them:
 *   SGD             momentum_buffer (only with momentum)
 *   RMSprop         square_avg, then grad_avg (centered), momentum_buffer (momentum > 0)
 *   RMSprop (Keras) the same names for Keras' velocity, average_gradient and momentum
 *   Adam, AdamW     exp_avg, exp_avg_sq;  Adam (Keras): the same, for its m and v
 *   Adagrad         sum
 * and a step count t (PyTorch's state["step"]). Buffers are made on a parameter's first
 * step, or on first access here, and hold floats in the parameter's shape. */
/* Writes up to TG_OPTIM_MAX_STATE buffer names into names (may be NULL); returns the count. */
#define tg_optim_state_names(...) tg_optim_state_names_at(__VA_ARGS__, TG_HERE)
int tg_optim_state_names_at(const tg_optim *o, const char **names, tg_loc loc);
/* The buffer `buffer` of the store's parameter `param`, param's size floats, to read or
 * write (a checkpoint loader writes them before the first step). Made, and initialized as
 * on a first step, if the parameter has none yet. NULL when the store has no such
 * parameter or the optimizer no such buffer. */
#define tg_optim_state(...) tg_optim_state_at(__VA_ARGS__, TG_HERE)
float *tg_optim_state_at(tg_optim *o, const char *param, const char *buffer, tg_loc loc);
/* A parameter's step count t (0 before its first step), or -1 for a name not in the store. */
#define tg_optim_param_step(...) tg_optim_param_step_at(__VA_ARGS__, TG_HERE)
int64_t tg_optim_param_step_at(const tg_optim *o, const char *param, tg_loc loc);
/* Sets it (t >= 0), as a checkpoint loader does. TG_ERR_ARG with a message for a name
 * not in the store or a negative t. */
#define tg_optim_set_param_step(...) tg_optim_set_param_step_at(__VA_ARGS__, TG_HERE)
tg_status tg_optim_set_param_step_at(tg_optim *o, const char *param, int64_t t, tg_loc loc);

/* ---- writing an optimizer -----------------------------------------------------------------
 * An optimizer is a descriptor: its name, its options (a struct whose first member is
 * `double lr`, and its defaults), its per-parameter buffers and an update function. The
 * built-in ones below are written with it; yours works the same way:
 *
 *     typedef struct lion_opts { double lr, beta1, beta2, weight_decay; } lion_opts;
 *     static const lion_opts lion_defaults = {1e-4, 0.9, 0.99, 0.0};
 *     static void lion_update(const tg_optim_update *u) {      // Chen et al. 2023
 *         const lion_opts *o = u->opts;
 *         float *m = u->state[0];
 *         for (int64_t i = 0; i < u->n; i++) { ... m[i], u->param[i], u->grad[i] ... }
 *     }
 *     static const tg_optim_type lion = {.name = "Lion", .opts_size = sizeof(lion_opts),
 *         .defaults = &lion_defaults, .state_names = {"exp_avg"}, .update = lion_update};
 *     tg_optim *opt = tg_optim_new(ps, &lion, NULL);          // or &my_opts
 *
 * The update is elementwise unless `whole` is set: the library may call it on disjoint
 * chunks of a large parameter from several threads (param, grad and the state pointers
 * then point at the chunk and n is its length), which gives the same bits as one call. */
enum { TG_OPTIM_MAX_STATE = 4 };

typedef struct tg_optim_update {
    float *param;                     /* (n), updated in place */
    const float *grad;                /* (n) */
    /* The parameter's buffers, (n) each: those these options use, in the order states_used
     * gives them (without states_used: all of state_names, in order). */
    float *state[TG_OPTIM_MAX_STATE];
    int64_t n;
    int64_t step;     /* this parameter's step count t, this step included (1 first) */
    double lr;        /* the current learning rate (tg_optim_set_lr) */
    const void *opts; /* the optimizer's copy of its options */
} tg_optim_update;

typedef struct tg_optim_type {
    const char *name;
    size_t opts_size;     /* sizeof the options struct; it starts with double lr */
    const void *defaults; /* opts_size bytes: the options used for NULL */
    /* Buffers per parameter, PyTorch names, NULL-terminated (at most TG_OPTIM_MAX_STATE). */
    const char *state_names[TG_OPTIM_MAX_STATE + 1];
    void (*update)(const tg_optim_update *u);
    /* Optional: checks options; a value no one means calls tg_contract_fail(loc, ...). */
    void (*check)(const void *opts, const char *fn, tg_loc loc);
    /* Optional: which of state_names these options use: writes their indices into used[]
     * and returns the count. The update's state[k] and init_state's state[k] are then
     * state_names[used[k]] (RMSprop with momentum but not centered: state[1] is
     * momentum_buffer). NULL: all of them, in order. */
    int (*states_used)(const void *opts, int *used);
    /* Optional: fills new buffers (state[k] as in the update, n floats each); NULL: zeros. */
    void (*init_state)(const void *opts, float *const *state, int64_t n);
    bool whole; /* the update needs the whole parameter in one call (a norm, say) */
} tg_optim_type;

/* The built-in types (the typed constructors above use them). */
extern const tg_optim_type tg_optim_sgd_type, tg_optim_rmsprop_type,
    tg_optim_rmsprop_keras_type, tg_optim_adam_type, tg_optim_adamw_type,
    tg_optim_adam_keras_type, tg_optim_adagrad_type;

/* An optimizer of any type over ps, with a copy of opts (NULL: type->defaults), checked by
 * type->check. The options must start with a finite lr >= 0. */
#define tg_optim_new(...) tg_optim_new_at(__VA_ARGS__, TG_HERE)
tg_optim *tg_optim_new_at(tg_params *ps, const tg_optim_type *type, const void *opts,
                          tg_loc loc);
/* The optimizer's options (its copy; lr there is the initial one: see tg_optim_get_lr). */
const void *tg_optim_opts(const tg_optim *o);

/* ---- gradient clipping (call between backward and step) -------------------------------
 * By global norm, as torch.nn.utils.clip_grad_norm_: total = sqrt(sum of every squared
 * grad element of the store) (accumulated in double); when max_norm / (total + 1e-6) < 1,
 * every grad is scaled by that factor. *total_norm (may be NULL) receives the norm before
 * clipping. A non-finite total leaves the grads untouched and returns TG_ERR_NUMERIC
 * (message in tg_last_error(), naming the first parameter whose gradient is not finite);
 * PyTorch would scale them all to NaN. max_norm > 0; +INFINITY clips nothing and only reads
 * the norm (PyTorch's idiom), as tg_grad_norm does.
 * By value: every grad element is clamped to [-clip_value, clip_value] (NaN stays NaN);
 * clip_value >= 0. */
#define tg_clip_grad_norm(...) tg_clip_grad_norm_at(__VA_ARGS__, TG_HERE)
#define tg_clip_grad_value(...) tg_clip_grad_value_at(__VA_ARGS__, TG_HERE)
#define tg_grad_norm(...) tg_grad_norm_at(__VA_ARGS__, TG_HERE)
/* The global gradient norm only (grads untouched); TG_ERR_NUMERIC as above when not finite. */
tg_status tg_grad_norm_at(tg_params *ps, double *total_norm, tg_loc loc);
tg_status tg_clip_grad_norm_at(tg_params *ps, double max_norm, double *total_norm,
                               tg_loc loc);
void tg_clip_grad_value_at(tg_params *ps, double clip_value, tg_loc loc);

/* ---- learning-rate schedules ----------------------------------------------------------
 * Closed forms of PyTorch's schedulers: the lr for epoch 0, 1, 2, ... given the initial
 * lr0. They hold no state; feed the result to tg_optim_set_lr.
 *   step:        lr0 gamma^floor(epoch / step_size)        (StepLR, step_size >= 1)
 *   exponential: lr0 gamma^epoch                           (ExponentialLR)
 *   cosine:      eta_min + (lr0 - eta_min)(1 + cos(pi epoch / t_max)) / 2
 *                (CosineAnnealingLR's closed form, t_max >= 1; periodic past t_max) */
#define tg_lr_step(...) tg_lr_step_at(__VA_ARGS__, TG_HERE)
#define tg_lr_exponential(...) tg_lr_exponential_at(__VA_ARGS__, TG_HERE)
#define tg_lr_cosine(...) tg_lr_cosine_at(__VA_ARGS__, TG_HERE)
double tg_lr_step_at(double lr0, int epoch, int step_size, double gamma, tg_loc loc);
double tg_lr_exponential_at(double lr0, int epoch, double gamma, tg_loc loc);
double tg_lr_cosine_at(double lr0, int epoch, int t_max, double eta_min, tg_loc loc);

/* ReduceLROnPlateau (PyTorch): after more than `patience` epochs without improvement of
 * the metric, lr = max(lr factor, min_lr) (skipped when that changes lr by eps or less),
 * then `cooldown` epochs during which bad epochs are not counted. Improvement in mode
 * min, relative threshold: metric < best (1 - threshold); absolute: metric < best -
 * threshold (mirrored in mode max). A value type with no heap memory:
 *
 *     tg_plateau pl = tg_plateau_new(tg_optim_get_lr(opt), NULL);
 *     ... each epoch: tg_optim_set_lr(opt, tg_plateau_step(&pl, val_loss)); */
typedef struct tg_plateau_opts {
    bool maximize;      /* false: mode "min" (a loss); true: mode "max" (an accuracy) */
    double factor;      /* 0.1, in [0, 1) */
    int patience;       /* 10 */
    double threshold;   /* 1e-4 */
    bool threshold_abs; /* false: threshold_mode "rel"; true: "abs" */
    int cooldown;       /* 0 */
    double min_lr;      /* 0 */
    double eps;         /* 1e-8 */
} tg_plateau_opts;
tg_plateau_opts tg_plateau_defaults(void);

typedef struct tg_plateau {
    tg_plateau_opts opts;
    double lr;         /* current learning rate */
    double best;       /* best metric so far (+-inf before the first step) */
    int bad_epochs;    /* epochs since the last improvement */
    int cooldown_left; /* epochs of cooldown still to go */
    int epoch;         /* tg_plateau_step calls so far */
} tg_plateau;

#define tg_plateau_new(...) tg_plateau_new_at(__VA_ARGS__, TG_HERE)
tg_plateau tg_plateau_new_at(double lr, const tg_plateau_opts *o, tg_loc loc);
/* Records one epoch's metric and returns the lr for the next epoch. */
#define tg_plateau_step(...) tg_plateau_step_at(__VA_ARGS__, TG_HERE)
double tg_plateau_step_at(tg_plateau *s, double metric, tg_loc loc);

#ifdef __cplusplus
}
#endif
#endif /* TG_OPTIM_H */
