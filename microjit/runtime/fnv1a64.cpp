// FNV-1a 64: xor the byte in, then multiply by the prime (modulo 2^64).
#include <microjit/runtime/fnv1a64.h>

u64 fnv1a64_update(u64 hash, const u8* data, usize size)
{
    for (usize i = 0; i < size; ++i) {
        hash ^= data[i];
        hash *= fnv1a64_prime;
    }
    return hash;
}
