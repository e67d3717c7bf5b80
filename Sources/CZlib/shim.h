#ifndef LIFEBOAT_CZLIB_SHIM_H
#define LIFEBOAT_CZLIB_SHIM_H
#include <zlib.h>
#endif
