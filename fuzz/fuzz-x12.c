/* fuzz-x12.c: libFuzzer target for the 834 parser: inputs without their own ISA get a valid one. */
#include "fuzz-common.h"

#define ISA "ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     *240101*1253*^*00501*000000905*0*T*:~"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree guint8 *copy = NULL;

  if (size >= 3 && memcmp (data, "ISA", 3) == 0)
    {
      fuzz_read_all (data, size);
      return 0;
    }
  /* a copy of exactly the input's size, so ASan sees overreads */
  copy = g_malloc (strlen (ISA) + size);
  memcpy (copy, ISA, strlen (ISA));
  memcpy (copy + strlen (ISA), data, size);
  fuzz_read_all (copy, strlen (ISA) + size);
  return 0;
}
