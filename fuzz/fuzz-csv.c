/* fuzz-csv.c: libFuzzer target: any bytes through the table reader (mostly CSV from the seeds). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  fuzz_read_all (data, size);
  return 0;
}
