/* examples/charrnn.c — a character-level language model on Shakespeare, llm.c style: the
 * whole training loop by hand on the low-level API (embedding, a recurrent layer, a linear
 * head, cross-entropy, Adam with gradient clipping), then sampling with a temperature.
 *
 * Data: datasets/tinyshakespeare.txt (karpathy/char-rnn, public domain text), 65 distinct
 * characters. The last 10% is held out for validation. Each step trains on `batch`
 * random snippets of `seq` characters, predicting each next character.
 * Writes the loss curve to <out>/charrnn_loss.png/.svg and prints samples as it trains.
 *
 * Usage: charrnn [--cell lstm|gru] [--steps N] [--hidden N] [--seq N] [--batch N]
 *                [--temperature T] [--seed N] [--out DIR] [--data TXT]
 * Not a tokenizer library: bytes are the vocabulary; the state is reset for every snippet.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plot/plot.h"
#include "tapegrad.h"

typedef struct opts {
    const char *cell, *out, *data;
    int steps, hidden, seq, batch, embed;
    float temperature;
    uint64_t seed;
} opts;

typedef struct model {
    tg_params *ps;
    tg_embedding emb;   /* (V, E) */
    tg_rnn *rnn;        /* E -> H, returns sequences */
    tg_linear_layer head; /* H -> V */
} model;

static char *read_file(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)*n + 1);
    if (!b || fread(b, 1, (size_t)*n, f) != (size_t)*n) {
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    return b;
}

/* logits (B*T, V) for tokens idx (B*T) laid out batch-first (B, T). */
static tg_tensor *forward(tg_tape *t, model *m, const int32_t *idx, int B, int T)
{
    tg_tensor *e = tg_embedding_forward(t, &m->emb, idx, B * T);          /* (B*T, E) */
    e = tg_reshape(t, e, TG_SHAPE(B, T, m->emb.weight->shape[1]));        /* (B, T, E) */
    tg_tensor *h = tg_rnn_forward(t, m->rnn, e, NULL, NULL);              /* (B, T, H) */
    return tg_reshape(t, tg_linear_layer_forward(t, &m->head, h), TG_SHAPE(B * T, -1));
}

/* Random snippets from text[lo, hi): x = chars, y = the next chars. */
static void draw_batch(const int32_t *tokens, long lo, long hi, int B, int T, tg_rng *rng,
                       int32_t *x, int32_t *y)
{
    for (int b = 0; b < B; b++) {
        long start = lo + (long)tg_rng_below(rng, (uint32_t)(hi - lo - T - 1));
        for (int t = 0; t < T; t++) {
            x[b * T + t] = tokens[start + t];
            y[b * T + t] = tokens[start + t + 1];
        }
    }
}

/* Generates n characters after `prime`, feeding the whole context each time (simple,
 * since the runner restarts from a zero state; fine for a few hundred characters). */
static void sample(model *m, const char *prime, int n, float temperature, const int *to_id,
                   const char *vocab, tg_rng *rng)
{
    enum { CTX = 64 };
    int32_t ctx[CTX];
    int len = 0;
    for (const char *p = prime; *p && len < CTX; p++) ctx[len++] = to_id[(unsigned char)*p];
    tg_tape *t = tg_tape_new();
    tg_tape_set_grad(t, false);
    fputs(prime, stdout);
    int V = m->head.weight->shape[0];
    for (int i = 0; i < n; i++) {
        tg_tape_reset(t);
        tg_tensor *logits = forward(t, m, ctx, 1, len);                   /* (len, V) */
        const float *last = logits->data + (int64_t)(len - 1) * V;
        /* softmax(logits / temperature), then draw */
        double mx = -INFINITY, z = 0, u = tg_rng_uniform(rng), acc = 0;
        for (int v = 0; v < V; v++) mx = fmax(mx, last[v] / temperature);
        for (int v = 0; v < V; v++) z += exp(last[v] / temperature - mx);
        int pick = V - 1;
        for (int v = 0; v < V; v++) {
            acc += exp(last[v] / temperature - mx) / z;
            if (u < acc) {
                pick = v;
                break;
            }
        }
        putchar(vocab[pick]);
        if (len == CTX) memmove(ctx, ctx + 1, sizeof(int32_t) * (CTX - 1)), len--;
        ctx[len++] = pick;
    }
    putchar('\n');
    tg_tape_free(t);
}

int main(int argc, char **argv)
{
    opts o = {.cell = "lstm", .out = "out", .data = "datasets/tinyshakespeare.txt", .steps = 1500,
              .hidden = 128, .seq = 64, .batch = 32, .embed = 32, .temperature = 0.8f, .seed = 1};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--cell") == 0) o.cell = v;
        else if (strcmp(a, "--steps") == 0) o.steps = atoi(v);
        else if (strcmp(a, "--hidden") == 0) o.hidden = atoi(v);
        else if (strcmp(a, "--seq") == 0) o.seq = atoi(v);
        else if (strcmp(a, "--batch") == 0) o.batch = atoi(v);
        else if (strcmp(a, "--temperature") == 0) o.temperature = (float)atof(v);
        else if (strcmp(a, "--seed") == 0) o.seed = (uint64_t)atoll(v);
        else if (strcmp(a, "--out") == 0) o.out = v;
        else if (strcmp(a, "--data") == 0) o.data = v;
        else argc = -1;
    }
    const tg_cell_type *cell = strcmp(o.cell, "gru") == 0 ? &tg_cell_gru
                               : strcmp(o.cell, "lstm") == 0 ? &tg_cell_lstm : NULL;
    if (argc < 0 || argc % 2 == 0 || !cell || o.steps < 1 || o.hidden < 1 || o.seq < 2 ||
        o.batch < 1 || !(o.temperature > 0)) {
        fprintf(stderr, "usage: %s [--cell lstm|gru] [--steps N] [--hidden N] [--seq N] "
                        "[--batch N] [--temperature T] [--seed N] [--out DIR] [--data TXT]\n",
                argv[0]);
        return 2;
    }
    if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    long n;
    char *text = read_file(o.data, &n);
    if (!text || n < 10L * o.seq) {
        fprintf(stderr, "cannot read enough text from %s\n", o.data);
        return 1;
    }
    /* The vocabulary: every byte that occurs, in byte order. */
    int to_id[256], V = 0;
    char vocab[256];
    memset(to_id, -1, sizeof to_id);
    for (long i = 0; i < n; i++) to_id[(unsigned char)text[i]] = 1;
    for (int c = 0; c < 256; c++)
        if (to_id[c] == 1) vocab[V] = (char)c, to_id[c] = V++;
    int32_t *tokens = malloc(sizeof(int32_t) * (size_t)n);
    for (long i = 0; i < n; i++) tokens[i] = to_id[(unsigned char)text[i]];
    long split = n - n / 10;
    printf("%s: %ld characters, vocabulary %d; %s(%d), %d steps of %d x %d characters\n",
           o.data, n, V, o.cell, o.hidden, o.steps, o.batch, o.seq);

    tg_rng rng;
    tg_rng_seed(&rng, o.seed, 0);
    model m;
    m.ps = tg_params_new();
    m.emb = tg_embedding_new(m.ps, "embedding", V, o.embed, &rng);
    tg_rnn_opts ro = tg_rnn_defaults();
    ro.unit_forget_bias = true;
    m.rnn = tg_rnn_new(m.ps, o.cell, cell, o.embed, o.hidden, &ro, &rng);
    m.head = tg_linear_layer_new(m.ps, "head", o.hidden, V, true, &rng);
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 3e-3;
    tg_optim *opt = tg_optim_adam(m.ps, &ao);

    int B = o.batch, T = o.seq, every = o.steps >= 10 ? o.steps / 10 : 1;
    int32_t *x = malloc(sizeof(int32_t) * (size_t)(B * T)), *y = malloc(sizeof(int32_t) * (size_t)(B * T));
    float *train_curve = malloc(sizeof(float) * (size_t)o.steps);
    float *val_steps = malloc(sizeof(float) * 12), *val_curve = malloc(sizeof(float) * 12);
    int n_val = 0;
    tg_tape *tp = tg_tape_new();
    for (int step = 0; step < o.steps; step++) {
        draw_batch(tokens, 0, split, B, T, &rng, x, y);
        tg_tape_reset(tp);
        tg_optim_zero_grad(opt);
        tg_tensor *loss = tg_cross_entropy_loss(tp, forward(tp, &m, x, B, T), y, TG_MEAN);
        tg_backward(tp, loss);
        if (tg_clip_grad_norm(m.ps, 5.0, NULL) != TG_OK) {
            fprintf(stderr, "step %d: %s\n", step, tg_last_error());
            return 1;
        }
        tg_optim_step(opt);
        train_curve[step] = loss->data[0];
        if ((step + 1) % every == 0 || step + 1 == o.steps) {
            /* validation loss on held-out text, no gradients */
            draw_batch(tokens, split, n, B, T, &rng, x, y);
            tg_tape_reset(tp);
            bool g = tg_tape_set_grad(tp, false);
            float vl = tg_cross_entropy_loss(tp, forward(tp, &m, x, B, T), y, TG_MEAN)->data[0];
            tg_tape_set_grad(tp, g);
            if (n_val < 12) val_steps[n_val] = (float)(step + 1), val_curve[n_val++] = vl;
            printf("step %5d  train loss %.3f  val loss %.3f\n", step + 1,
                   (double)train_curve[step], (double)vl);
            if ((step + 1) % (every * 5) == 0 || step + 1 == o.steps) {
                printf("---- sample (temperature %.1f) ----\n", (double)o.temperature);
                sample(&m, "ROMEO:\n", 240, o.temperature, to_id, vocab, &rng);
                printf("----\n");
            }
        }
    }

    char path[1024];
    tg_chart *c = tg_chart_new(1000, 500);
    char title[128];
    snprintf(title, sizeof title, "char-level %s(%d) on tiny Shakespeare", o.cell, o.hidden);
    tg_chart_set_title(c, title);
    tg_chart_set_xlabel(c, "step");
    tg_chart_set_ylabel(c, "cross-entropy (nats per character)");
    tg_chart_add_series(c, "train", NULL, train_curve, o.steps);
    tg_chart_add_series_style(c, "validation", val_steps, val_curve, n_val,
                              (tg_series_style){.width = 3.0f});
    snprintf(path, sizeof path, "%s/charrnn_loss.png", o.out);
    tg_status st = tg_chart_write_png(c, path);
    snprintf(path, sizeof path, "%s/charrnn_loss.svg", o.out);
    if (st == TG_OK) st = tg_chart_write_svg(c, path);
    tg_chart_free(c);
    if (st != TG_OK) fprintf(stderr, "%s\n", tg_last_error());
    else printf("loss curve: %s/charrnn_loss.png/.svg\n", o.out);

    tg_tape_free(tp);
    tg_optim_free(opt);
    tg_rnn_free(m.rnn);
    tg_params_free(m.ps);
    free(x), free(y), free(train_curve), free(val_steps), free(val_curve), free(tokens), free(text);
    return st == TG_OK ? 0 : 1;
}
