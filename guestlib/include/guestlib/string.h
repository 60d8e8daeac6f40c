/*
 * string.h - the C string functions guestlib provides (gcc may emit calls to
 * memset, memcpy, memmove and memcmp on its own, even in freestanding code).
 */
#ifndef GUESTLIB_STRING_H
#define GUESTLIB_STRING_H

#include <stddef.h>

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* GUESTLIB_STRING_H */
