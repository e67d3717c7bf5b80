#ifndef LIFEBOAT_CMALLOC_SHIM_H
#define LIFEBOAT_CMALLOC_SHIM_H
// glibc's malloc tuning (mallopt), which the Glibc module does not include.
#include <malloc.h>
#endif
