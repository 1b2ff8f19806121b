/* main.c: partner-desk-server's command line. STUB */
#include "config.h"

#include "pd-server.h"

int
main (int argc, char **argv)
{
  return 1;
}
