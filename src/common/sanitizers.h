// Whether this translation unit is built with AddressSanitizer, which replaces the allocator and
// makes everything several times slower: ANTREAN_UNDER_ASAN is defined then. GCC says so with
// __SANITIZE_ADDRESS__, clang with __has_feature(address_sanitizer).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define ANTREAN_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANTREAN_UNDER_ASAN 1
#endif
#endif
