// JIT snapshots: saving a module's native code and profile to
// /JIT/NAME.SNP, and loading it back only when it is safe
// (docs/snapshot-format.md).
#pragma once

#include <bareflow/error_or.h>
#include <kernel/jit/jit_system.h>

// "/JIT/FIB.SNP" for FIB.BFM.
void snapshot_path(const LoadedModule& slot, char* out, usize size);
void snapshot_path_for_file(const char* snp_name, char* out, usize size);

// Writes the module's snapshot with the volume's atomic replace. Returns the
// file's size; NotSupported when the module has no native code to save.
ErrorOr<u32> save_snapshot(LoadedModule& slot);

// Saves every module that has native code; prints one line each. Used by
// `snap save` and at poweroff.
ErrorOr<void> save_all_snapshots();

// Checks a snapshot file's bytes: format, checksum, key and, if `slot` is
// given, that its code fits that module's running instance (layout and a
// clean walk of every blob). On failure `why` holds the detail.
ErrorOr<void> check_snapshot(const u8* data, u32 size, const LoadedModule* slot, char* why, usize why_size);

// Loads the module's snapshot if there is one and every check passes;
// otherwise prints "snap: NAME.SNP ignored: <reason>" and the module stays
// as it is. A missing file is silent unless `report_missing`.
ErrorOr<void> load_snapshot(LoadedModule& slot, bool report_missing);
