/* fuzz/fuzz_csv.c — libFuzzer harness for the CSV reader (tg_csv_parse from memory), with
 * the three ways of choosing columns. Any input must give TG_OK or an error status with a
 * message: no crash, leak or undefined behaviour (built with ASan and UBSan, fuzz/run.sh).
 * Not part of the library or of meson test. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tapegrad.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    /* the first byte picks the options, the rest is the file */
    tg_csv_opts o = tg_csv_defaults();
    const char *names[2] = {"a", "Close"};
    int idx[2] = {0, 2};
    switch (data[0] % 4) {
    case 1: o.columns = names, o.ncolumns = 2, o.text_column = "Date"; break;
    case 2: o.column_indices = idx, o.ncolumns = 2, o.missing = TG_MISSING_INTERPOLATE; break;
    case 3: o.text_first = true, o.delimiter = ';', o.missing = TG_MISSING_CARRY_FORWARD; break;
    default: break;
    }
    tg_csv *csv = NULL;
    if (tg_csv_parse((const char *)data + 1, size - 1, "fuzz.csv", &o, &csv) == TG_OK) {
        tg_tensor *t = tg_csv_tensor(csv);
        tg_tensor_free(t);
        tg_csv_free(csv);
    }
    return 0;
}
