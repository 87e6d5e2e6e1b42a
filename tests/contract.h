/* tests/contract.h — catching contract violations in Criterion tests.
 *
 * EXPECT_RAISES(stmt) installs a handler that records the message and longjmps back, runs
 * stmt, and fails the test when no violation happened. The message stays in contract_msg
 * for the checks that follow. setjmp sits alone in an if, as the C standard requires.
 * Test-only; each test file gets its own static copy.
 */
#ifndef TG_TEST_CONTRACT_H
#define TG_TEST_CONTRACT_H

#include <criterion/criterion.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "tapegrad.h"

static jmp_buf contract_jump;
static char contract_msg[1024];

static inline void catch_contract(const char *message, void *user)
{
    (void)user;
    snprintf(contract_msg, sizeof contract_msg, "%s", message);
    longjmp(contract_jump, 1);
}

#define EXPECT_RAISES(stmt)                                                     \
    do {                                                                        \
        contract_msg[0] = 0;                                                    \
        tg_set_contract_handler(catch_contract, NULL);                          \
        if (setjmp(contract_jump) == 0) {                                       \
            stmt;                                                               \
            cr_expect(false, "no contract violation from: %s", #stmt);          \
        }                                                                       \
        tg_set_contract_handler(NULL, NULL);                                    \
    } while (0)

/* The last violation's message contains `part`. */
#define EXPECT_MSG_HAS(part) \
    cr_expect(strstr(contract_msg, (part)) != NULL, "no \"%s\" in: %s", (part), contract_msg)

#endif
