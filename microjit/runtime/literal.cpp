// Argument literals (see literal.h).
//
// Decimal to f32 is exact: the digits (up to max_digits significant ones,
// and a flag for any non-zero digit after them) become a big integer M and
// a power of ten 10^E; with a binary exponent e chosen so that the quotient
// q = M * 10^E / 2^e has 24 bits (fewer for subnormals), q and its remainder
// decide the rounding to nearest, ties to even (IEEE 754-2008, 4.3.1). Past
// 60 significant digits, the dropped ones can change only an exact tie or
// an exact zero remainder, which the flag settles: the quotient has at most
// 25 bits, so the dropped digits are worth far less than one unit of it.
#include <microjit/runtime/literal.h>

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool equals_ignoring_case(const char* a, const char* b)
{
    for (; *a && *b; ++a, ++b) {
        char x = *a >= 'A' && *a <= 'Z' ? static_cast<char>(*a - 'A' + 'a') : *a;
        if (x != *b)
            return false;
    }
    return *a == *b;
}

// An unsigned integer of up to 64 32-bit limbs, least significant first:
// enough for 10^60 * 10^45 * 2^160 and for 10^(60 + 70) * 2^149.
class Big {
public:
    static constexpr u32 capacity = 64;

    explicit Big(u32 value = 0)
    {
        m_limbs[0] = value;
        m_count = value ? 1 : 0;
    }

    void mul_add(u32 factor, u32 addend)
    {
        u64 carry = addend;
        for (u32 i = 0; i < m_count; ++i) {
            u64 t = static_cast<u64>(m_limbs[i]) * factor + carry;
            m_limbs[i] = static_cast<u32>(t);
            carry = t >> 32;
        }
        if (carry && m_count < capacity)
            m_limbs[m_count++] = static_cast<u32>(carry);
    }
    void mul_pow10(u32 n)
    {
        for (; n >= 9; n -= 9)
            mul_add(1000000000u, 0);
        u32 p = 1;
        while (n--)
            p *= 10;
        mul_add(p, 0);
    }
    void shl(u32 bits)
    {
        if (!m_count)
            return;
        u32 words = bits / 32, rest = bits % 32;
        u32 count = m_count + words + 1;
        if (count > capacity)
            count = capacity;
        for (u32 i = count; i-- > 0;) {
            u64 hi = i >= words && i - words < m_count ? m_limbs[i - words] : 0;
            u64 lo = i >= words + 1 && i - words - 1 < m_count ? m_limbs[i - words - 1] : 0;
            m_limbs[i] = static_cast<u32>(rest ? (hi << rest | lo >> (32 - rest)) : hi);
        }
        m_count = count;
        trim();
    }
    u32 bit_length() const
    {
        if (!m_count)
            return 0;
        return 32 * (m_count - 1) + (32 - static_cast<u32>(__builtin_clz(m_limbs[m_count - 1])));
    }
    bool is_zero() const { return m_count == 0; }
    int compare(const Big& o) const
    {
        if (m_count != o.m_count)
            return m_count < o.m_count ? -1 : 1;
        for (u32 i = m_count; i-- > 0;)
            if (m_limbs[i] != o.m_limbs[i])
                return m_limbs[i] < o.m_limbs[i] ? -1 : 1;
        return 0;
    }
    void subtract(const Big& o) // *this >= o
    {
        i64 borrow = 0;
        for (u32 i = 0; i < m_count; ++i) {
            i64 t = static_cast<i64>(m_limbs[i]) - (i < o.m_count ? o.m_limbs[i] : 0) - borrow;
            borrow = t < 0;
            m_limbs[i] = static_cast<u32>(t);
        }
        trim();
    }

private:
    void trim()
    {
        while (m_count && !m_limbs[m_count - 1])
            --m_count;
    }
    u32 m_limbs[capacity] {};
    u32 m_count { 0 };
};

// q = num / den for a quotient below 2^26; num keeps the remainder.
u32 divide(Big& num, const Big& den)
{
    u32 q = 0;
    for (int j = 25; j >= 0; --j) {
        Big shifted = den;
        shifted.shl(static_cast<u32>(j));
        if (num.compare(shifted) >= 0) {
            num.subtract(shifted);
            q |= 1u << j;
        }
    }
    return q;
}

constexpr u32 max_digits = 60;
constexpr int min_exponent = -149; // the smallest subnormal is 2^-149

f32 from_bits(u32 bits) { return __builtin_bit_cast(f32, bits); }

}

bool parse_i32_literal(const char* text, i32& out)
{
    bool negative = *text == '-';
    if (*text == '-' || *text == '+')
        ++text;
    if (!*text)
        return false;
    u64 value = 0;
    u64 limit;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text += 2;
        if (!*text)
            return false;
        for (; *text; ++text) {
            int d = hex_digit(*text);
            if (d < 0 || value > 0xFFFFFFFFull)
                return false;
            value = value * 16 + static_cast<u64>(d);
        }
        limit = negative ? 0x80000000ull : 0xFFFFFFFFull;
    } else {
        for (; *text; ++text) {
            if (!is_digit(*text) || value > 0xFFFFFFFFull)
                return false;
            value = value * 10 + static_cast<u64>(*text - '0');
        }
        limit = negative ? 0x80000000ull : 0x7FFFFFFFull;
    }
    if (value > limit)
        return false;
    u32 bits = static_cast<u32>(value);
    out = static_cast<i32>(negative ? 0u - bits : bits);
    return true;
}

bool parse_f32_literal(const char* text, f32& out)
{
    bool negative = *text == '-';
    u32 sign = negative ? 0x80000000u : 0;
    if (*text == '-' || *text == '+')
        ++text;
    if (equals_ignoring_case(text, "inf") || equals_ignoring_case(text, "infinity")) {
        out = from_bits(sign | 0x7F800000u);
        return true;
    }
    if (equals_ignoring_case(text, "nan")) {
        out = from_bits(sign | 0x7FC00000u);
        return true;
    }
    // The significant digits, the decimal exponent of the last one kept,
    // and whether a non-zero digit was dropped.
    Big mantissa;
    u32 kept = 0;
    i64 exponent = 0;
    bool any = false, dropped = false;
    auto digit = [&](char c, bool fraction) {
        any = true;
        if (kept == 0 && c == '0') {
            exponent -= fraction ? 1 : 0;
            return;
        }
        if (kept < max_digits) {
            mantissa.mul_add(10, static_cast<u32>(c - '0'));
            ++kept;
            exponent -= fraction ? 1 : 0;
        } else {
            dropped = dropped || c != '0';
            exponent += fraction ? 0 : 1;
        }
    };
    for (; is_digit(*text); ++text)
        digit(*text, false);
    if (*text == '.') {
        ++text;
        for (; is_digit(*text); ++text)
            digit(*text, true);
    }
    if (!any)
        return false;
    if (*text == 'e' || *text == 'E') {
        ++text;
        bool exponent_negative = *text == '-';
        if (*text == '-' || *text == '+')
            ++text;
        if (!is_digit(*text))
            return false;
        i64 e = 0;
        for (; is_digit(*text); ++text)
            e = e < 100000000 ? e * 10 + (*text - '0') : e;
        exponent += exponent_negative ? -e : e;
    }
    if (*text)
        return false;
    if (mantissa.is_zero()) {
        out = from_bits(sign);
        return true;
    }
    // The value is mantissa * 10^exponent with `kept` digits: its decimal
    // magnitude is exponent + kept. Far outside f32's range, decide now.
    i64 magnitude = exponent + static_cast<i64>(kept);
    if (magnitude > 40)
        return false; // above 1e40: past the largest f32
    if (magnitude < -47) {
        out = from_bits(sign); // below 1e-47: rounds to zero
        return true;
    }
    // num / den = value / 2^e, for e chosen below.
    Big ten_up = mantissa, ten_down(1);
    if (exponent >= 0)
        ten_up.mul_pow10(static_cast<u32>(exponent));
    else
        ten_down.mul_pow10(static_cast<u32>(-exponent));
    int e = static_cast<int>(ten_up.bit_length()) - static_cast<int>(ten_down.bit_length()) - 24;
    u32 q = 0;
    Big rest;
    Big den;
    for (int attempt = 0; attempt < 4; ++attempt) {
        if (e < min_exponent)
            e = min_exponent;
        Big num = ten_up;
        den = ten_down;
        if (e < 0)
            num.shl(static_cast<u32>(-e));
        else
            den.shl(static_cast<u32>(e));
        // A first guess may leave a quotient of 25 bits or more: one step up.
        Big limit = den;
        limit.shl(24);
        if (num.compare(limit) >= 0) {
            ++e;
            continue;
        }
        q = divide(num, den);
        rest = num;
        if (q < (1u << 23) && e > min_exponent) {
            --e; // fewer than 24 bits and room below: one step down
            continue;
        }
        break;
    }
    // Round to nearest, ties to even; dropped digits break a tie upwards.
    Big twice = rest;
    twice.shl(1);
    int half = twice.compare(den);
    if (half == 0 && dropped)
        half = 1;
    if (half > 0 || (half == 0 && (q & 1)))
        ++q;
    if (q == (1u << 24)) {
        q >>= 1;
        ++e;
    }
    // q * 2^e: normal when q has 24 bits, else subnormal (e is then -149).
    if (q >= (1u << 23)) {
        int biased = e + 23 + 127;
        if (biased >= 255)
            return false; // rounds past the largest finite f32
        out = from_bits(sign | static_cast<u32>(biased) << 23 | (q - (1u << 23)));
    } else {
        out = from_bits(sign | q);
    }
    return true;
}
