/*
 * Functions that are easy to misuse with untrusted sizes or that keep hidden state. Every project
 * header includes this last, after the system headers, so any use in project code fails to compile.
 * Use snprintf, memcpy with checked sizes, strtol/strtoll with end checks, gmtime_r.
 */
#ifndef WANGGE_BASE_BANNED_H
#define WANGGE_BASE_BANNED_H

/* The headers that declare the banned functions, first: with _FORTIFY_SOURCE they define inline
   wrappers of the same names, which the macros below would mangle if such a header were first
   included after a project header (e.g. <stdio.h> through jansson.h). Included here, their guards
   make any later include a no-op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_banned_in_wangge

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef gets
#define gets(x) BANNED(gets)

#endif
