/* tensor/trap.h — catching a contract failure on a worker thread (internal, not installed).
 *
 * A contract handler may longjmp back to its caller (tests do), which is only defined on
 * the thread that called setjmp. Code that runs user code on worker threads (the batch
 * shards of layers/rnn.c) sets a trap on each worker: tg_contract_fail then stores the
 * message and jumps to the trap instead of calling the handler, and the caller re-raises
 * the first message on its own thread with tg__contract_raise.
 */
#ifndef TG_TRAP_H
#define TG_TRAP_H

#include <setjmp.h>

#include "tensor/error.h"

typedef struct tg__trap {
    jmp_buf jb;
    char msg[768];
} tg__trap;

/* The current thread's trap, or NULL (then the handler is called as usual). */
extern _Thread_local tg__trap *tg__contract_trap;

/* Calls the contract handler with a message already formatted; does not return. */
_Noreturn void tg__contract_raise(const char *message);

#endif /* TG_TRAP_H */
