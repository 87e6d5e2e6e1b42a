/* tensor/error.c — contract-violation handler, warnings and the last-error message.
 * Not a logger: one thread-local message buffer and two process-wide handlers. */
#include "tensor/error.h"
#include "tensor/trap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char last_error[1024];

const char *tg_last_error(void) { return last_error; }

tg_status tg_fail(tg_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

static void default_handler(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "%s\n", message);
    fflush(stderr);
}

static tg_contract_handler handler = default_handler;
static void *handler_user;

tg_contract_handler tg_set_contract_handler(tg_contract_handler h, void *user)
{
    tg_contract_handler old = handler;
    handler = h ? h : default_handler;
    handler_user = h ? user : NULL;
    return old;
}

/* "tapegrad: <kind><op>: <message> (called at file:line)" into msg. */
static void format_message(char *msg, size_t cap, const char *kind, tg_loc loc, const char *op,
                           const char *fmt, va_list ap)
{
    int n = snprintf(msg, cap, "tapegrad: %s%s: ", kind, op);
    if (n > 0 && (size_t)n < cap) n += vsnprintf(msg + n, cap - (size_t)n, fmt, ap);
    if (n > 0 && (size_t)n < cap && loc.file) /* no file: not tied to a caller's line */
        snprintf(msg + n, cap - (size_t)n, " (called at %s:%d)", loc.file, loc.line);
}

_Noreturn void tg_contract_fail(tg_loc loc, const char *op, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    format_message(msg, sizeof msg, "", loc, op, fmt, ap);
    va_end(ap);
    if (tg__contract_trap) { /* on a worker thread: the caller re-raises it */
        snprintf(tg__contract_trap->msg, sizeof tg__contract_trap->msg, "%s", msg);
        longjmp(tg__contract_trap->jb, 1);
    }
    tg__contract_raise(msg);
}

_Thread_local tg__trap *tg__contract_trap;

_Noreturn void tg__contract_raise(const char *message)
{
    handler(message, handler_user);
    /* A handler that returns cannot give the op a result: stop here. */
    abort();
}

/* ---- warnings: a call that works but cannot do what was asked ----------------------------- */

/* the same printer as contract messages' */
static tg_warning_handler warn_handler = default_handler;
static void *warn_user;

tg_warning_handler tg_set_warning_handler(tg_warning_handler h, void *user)
{
    tg_warning_handler old = warn_handler;
    warn_handler = h ? h : default_handler;
    warn_user = h ? user : NULL;
    return old;
}

void tg_warn(tg_loc loc, const char *op, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    format_message(msg, sizeof msg, "warning: ", loc, op, fmt, ap);
    va_end(ap);
    warn_handler(msg, warn_user);
}
