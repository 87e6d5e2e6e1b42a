/* tensor/error.h — the two error channels of tapegrad.
 *
 * 1. Contract violations (a programming error: shape mismatch, NULL tensor, backward of a
 *    non-scalar). The check names the op, the shapes and the caller's file:line, then calls
 *    the contract handler. The default handler prints the message to stderr and aborts;
 *    a program or test may install its own (for example one that longjmps). A handler that
 *    returns lets the library abort anyway, since the op cannot produce a result. After a
 *    longjmp out of a failed op, reset the tape it was recording on (tg_tape_reset) before
 *    recording on it again: the tape's bookkeeping may be half done.
 * 2. Failures of the outside world (files, malformed data, NaN in training): a function
 *    returns a tg_status and leaves a message in tg_last_error(). Never exit(), never abort.
 *
 * This header is not a logging framework and holds no other global state.
 */
#ifndef TG_ERROR_H
#define TG_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_status {
    TG_OK = 0,
    TG_ERR_ARG,     /* a bad value passed at run time (not a contract violation) */
    TG_ERR_IO,      /* open/read/write/rename failed */
    TG_ERR_FORMAT,  /* malformed file or data */
    TG_ERR_NUMERIC, /* NaN or Inf where a finite number was needed */
    TG_ERR_NOMEM,
} tg_status;

/* Message of the last failing call in this thread ("" when none). */
const char *tg_last_error(void);
/* Sets the message (printf-style) and returns `status`, for `return tg_fail(...)`. */
tg_status tg_fail(tg_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Where a builder was called from: every public op builder is a macro that passes it. */
typedef struct tg_loc {
    const char *file;
    int line;
} tg_loc;
#define TG_HERE ((tg_loc){__FILE__, __LINE__})
/* For messages that belong to no line of the caller (a font missing on the machine). */
#define TG_NOWHERE ((tg_loc){NULL, 0})

typedef void (*tg_contract_handler)(const char *message, void *user);
/* Installs `h` (NULL restores the default: print to stderr, abort). Returns the old one. */
tg_contract_handler tg_set_contract_handler(tg_contract_handler h, void *user);
/* Formats "tapegrad: <op>: <message> (at file:line)" and calls the handler; does not
 * return. */
_Noreturn void tg_contract_fail(tg_loc loc, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Warnings: the call goes on, but an option cannot act as asked (a dropout between the
 * layers of a one-layer RNN, say). Printed once, where the option is given, as
 * "tapegrad: warning: <op>: <message> (called at file:line)" to stderr, or handed to
 * `h` (NULL restores the default). Returns the old handler. */
typedef void (*tg_warning_handler)(const char *message, void *user);
tg_warning_handler tg_set_warning_handler(tg_warning_handler h, void *user);
void tg_warn(tg_loc loc, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif /* TG_ERROR_H */
