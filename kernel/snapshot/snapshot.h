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
// A function whose code cannot be saved is left out, with a line saying why
// if `report_left_out` (the periodic save keeps the prompt quiet).
ErrorOr<u32> save_snapshot(LoadedModule& slot, bool report_left_out = true);

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

// Periodic saving (snapshot_periodic.cpp). The default period, in seconds,
// of `snap every`: often enough that a power cut loses at most a minute of
// tier-ups, rarely enough that the disk is not busy (and only changed
// modules are written).
inline constexpr u32 default_snapshot_period_seconds = 60;
u32 snapshot_period_seconds();
// 0 turns periodic saving off; otherwise the next check is SECONDS from now.
void set_snapshot_period_seconds(u32 seconds);
// Saves the stale modules if the period has passed. Call only where no
// native code runs and no command is half-done: the idle prompt, between
// script lines. Cheap when nothing is due.
void snapshot_periodic_tick();
// One line: the period and what the last periodic check saved.
void print_snapshot_period();

// A module's snapshot is current when its file holds the code now installed
// (a save or a load recorded it); it is stale after a tier-up, a recompile or
// a reload. Only stale modules are saved periodically.
u64 snapshot_state_fingerprint(const LoadedModule& slot);
void mark_snapshot_current(LoadedModule& slot);
bool snapshot_is_stale(const LoadedModule& slot);
