// The one Error enum shared by every BareFlow subsystem.
//
// Expected failures (a full pool, a corrupt FAT, a bad module, a trap) are
// values of this enum, returned through ErrorOr<T>. Each value has a message
// written for a person; error_message() returns it. Broken invariants are not
// errors: they panic.
//
// To add a value, add one X(Name, "message") line in its section below; the
// name and message tables are generated from that one list.
#pragma once

#include <bareflow/types.h>

#define BAREFLOW_ERRORS(X)                                                              \
    /* general */                                                                       \
    X(Ok, "no error")                                                                   \
    X(InvalidArgument, "invalid argument")                                              \
    X(OutOfMemory, "out of memory")                                                     \
    X(BufferTooSmall, "buffer too small")                                               \
    X(NotSupported, "not supported")                                                    \
    X(Busy, "resource busy")                                                            \
    /* x86 emitter */                                                                   \
    X(EmitBufferFull, "code buffer full")                                               \
    X(EmitInvalidOperand, "invalid operand combination")                                \
    X(EmitUnboundLabel, "jump to a label that was never bound")                         \
    X(EmitLabelRebound, "label bound twice")                                            \
    X(EmitTooManyLabels, "too many labels")                                             \
    X(EmitUnsupportedIsa, "instruction needs an ISA extension that is not enabled")     \
    X(EmitTooManySites, "too many jumps, calls and alignment points in one function")  \
    X(EmitTooManyAbsolutes, "too many absolute addresses in one function")             \
    X(DecodeUnknownInstruction, "unknown instruction bytes")                            \
    X(DecodeTruncated, "instruction runs past the end of the code")                     \
    /* block devices */                                                                 \
    X(IoError, "disk I/O error")                                                        \
    X(DeviceTimeout, "disk did not answer in time")                                     \
    X(NoDevice, "no disk found")                                                        \
    X(ReadOnlyMedia, "read-only media")                                                 \
    X(OutOfRange, "sector out of range")                                                \
    /* FAT16 */                                                                         \
    X(FsNoPartition, "no FAT16 partition found")                                        \
    X(FsBadBootSector, "the volume's boot sector (BPB) is invalid")                     \
    X(FsNotFat16, "the volume is not FAT16 (FAT12 and FAT32 are not supported)")        \
    X(FsNotMounted, "no volume is mounted")                                             \
    X(FsNotFound, "no such file or directory")                                          \
    X(FsExists, "a file or directory with that name already exists")                    \
    X(FsNoSpace, "no space left on the volume")                                         \
    X(FsRootFull, "the root directory is full")                                         \
    X(FsNotDirectory, "not a directory")                                                \
    X(FsIsDirectory, "is a directory")                                                  \
    X(FsDirectoryNotEmpty, "directory not empty")                                       \
    X(FsBadName, "invalid file name")                                                   \
    X(FsCorrupt, "the filesystem is corrupt")                                           \
    X(FsTooManyOpen, "too many open files")                                             \
    X(FsFileTooLarge, "file too large")                                                 \
    X(FsNameNot83, "name does not fit 8.3 (long names can be read, not created)")       \
    X(FsTruncatedVolume, "the volume runs past the end of its disk (truncated image?)") \
    X(FsReadOnlyFile, "the file is read-only or not open for writing")                  \
    X(FsReadOnly, "nothing was written: the volume is mounted read-only because the mount check found damage (repair with fsck.fat -a)") \
    /* Flow modules (loader and verifier) */                                            \
    X(ModuleTruncated, "module file is truncated")                                      \
    X(ModuleBadMagic, "not a BareFlow module (bad magic)")                              \
    X(ModuleBadVersion, "unsupported module format version")                            \
    X(ModuleBadChecksum, "module checksum (CRC32) does not match")                      \
    X(ModuleBadHash, "module content hash does not match")                              \
    X(ModuleOutOfRange, "module offset or count out of range")                          \
    X(ModuleBadOpcode, "unknown opcode")                                                \
    X(ModuleBadJump, "jump outside its function or into an instruction")                \
    X(ModuleTypeMismatch, "type mismatch")                                              \
    X(ModuleUninitialized, "read of an uninitialised register")                         \
    X(ModuleBadCall, "call to a missing function or with the wrong signature")          \
    X(ModuleTooComplex, "module exceeds a verifier limit")                              \
    X(ModuleBadName, "invalid name in module")                                          \
    X(ModuleNoReturn, "control reaches the end of a function without a return")         \
    X(ModuleBadReduction, "reduction instruction does not accumulate into its operand")  \
    X(NoSuchFunction, "no such function")                                               \
    X(NoSuchModule, "no such module (see `mods`)")                                      \
    /* run-time traps (identical at every tier) */                                      \
    X(TrapDivideByZero, "division by zero")                                             \
    X(TrapOverflow, "integer overflow in division (INT_MIN / -1)")                      \
    X(TrapOutOfBounds, "index out of bounds")                                           \
    X(TrapCallDepth, "call depth limit exceeded")                                       \
    X(TrapBadConversion, "f32 to i32 conversion of NaN or out-of-range value")          \
    X(TrapStepLimit, "execution step limit reached (limit set by the host)")            \
    X(TrapInterrupted, "interrupted (Ctrl-C or the watchdog)")                          \
    /* pools and JIT */                                                                 \
    X(PoolExhausted, "memory pool exhausted")                                           \
    X(JitUnsupported, "function cannot be compiled at this tier")                       \
    X(JitBackedOff, "compilation backed off after an earlier failure")                  \
    /* snapshots */                                                                     \
    X(SnapshotBadMagic, "not a snapshot (bad magic)")                                   \
    X(SnapshotBadChecksum, "snapshot is corrupt (checksum mismatch)")                   \
    X(SnapshotCorrupt, "snapshot is malformed (its structure breaks a format rule)")    \
    X(SnapshotTruncated, "snapshot is truncated")                                       \
    X(SnapshotModuleChanged, "snapshot is for a different version of the module")       \
    X(SnapshotJitChanged, "snapshot was made by a different JIT version")               \
    X(SnapshotCpuChanged, "snapshot was made for a different CPU feature set")          \
    X(SnapshotBadCode, "snapshot code failed validation")                               \
    X(SnapshotLayoutChanged, "snapshot code was made for a different memory layout")    \
    /* shell and command line */                                                        \
    X(UnknownCommand, "unknown command")                                                \
    X(BadArguments, "bad arguments")                                                    \
    X(NoSuchFileItem, "no such file item (`bind MODULE` lists them)")                 \
    X(NoSuchBuffer, "no such buffer (`mods` lists them)")

enum class Error : u8 {
#define BAREFLOW_ERROR_ENUM(name, message) name,
    BAREFLOW_ERRORS(BAREFLOW_ERROR_ENUM)
#undef BAREFLOW_ERROR_ENUM
        Count
};

namespace bareflow_detail {
inline constexpr const char* error_messages[] = {
#define BAREFLOW_ERROR_MESSAGE(name, message) message,
    BAREFLOW_ERRORS(BAREFLOW_ERROR_MESSAGE)
#undef BAREFLOW_ERROR_MESSAGE
};
inline constexpr const char* error_names[] = {
#define BAREFLOW_ERROR_NAME(name, message) #name,
    BAREFLOW_ERRORS(BAREFLOW_ERROR_NAME)
#undef BAREFLOW_ERROR_NAME
};
static_assert(sizeof(error_messages) / sizeof(error_messages[0]) == static_cast<usize>(Error::Count),
              "every Error needs a message");
} // namespace bareflow_detail

// A sentence for a person, e.g. "no space left on the volume".
constexpr const char* error_message(Error e)
{
    auto i = static_cast<usize>(e);
    return i < static_cast<usize>(Error::Count) ? bareflow_detail::error_messages[i] : "unknown error";
}

// The enumerator's name, e.g. "FsNoSpace" (for logs and tests).
constexpr const char* error_name(Error e)
{
    auto i = static_cast<usize>(e);
    return i < static_cast<usize>(Error::Count) ? bareflow_detail::error_names[i] : "?";
}
