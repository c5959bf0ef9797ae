// ErrorOr<T>: a value or an Error, and TRY() to pass errors up.
// No exceptions anywhere in BareFlow; this is how failure travels.
#pragma once

#include <bareflow/error.h>

template<typename T>
class [[nodiscard]] ErrorOr {
public:
    ErrorOr(T value) : m_value(static_cast<T&&>(value)), m_error(Error::Ok) { }
    ErrorOr(Error error) : m_value(), m_error(error) { }

    bool is_error() const { return m_error != Error::Ok; }
    Error error() const { return m_error; }
    T& value() { return m_value; }
    const T& value() const { return m_value; }
    T release_value() { return static_cast<T&&>(m_value); }

private:
    T m_value;
    Error m_error;
};

template<>
class [[nodiscard]] ErrorOr<void> {
public:
    ErrorOr() : m_error(Error::Ok) { }
    ErrorOr(Error error) : m_error(error) { }

    bool is_error() const { return m_error != Error::Ok; }
    Error error() const { return m_error; }
    void release_value() { }

private:
    Error m_error;
};

// Evaluates an ErrorOr expression; returns its error from the enclosing
// function, or yields its value.
#define TRY(expr)                                      \
    ({                                                 \
        auto _try_result = (expr);                     \
        if (_try_result.is_error())                    \
            return _try_result.error();                \
        _try_result.release_value();                   \
    })
