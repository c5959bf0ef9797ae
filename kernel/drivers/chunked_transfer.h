// Splitting a transfer of `count` sectors into runs of at most `limit`, for
// drivers that move each run through one bounce buffer (AHCI's DMA buffer,
// the BIOS's real-mode buffer). `move(lba, sectors, byte_offset)` moves one
// run; the first error ends the transfer.
#pragma once

#include <bareflow/error_or.h>
#include <fs/fat16/on_disk.h>

template<typename Move>
ErrorOr<void> for_each_chunk(u32 lba, u32 count, u32 limit, Move move)
{
    for (u32 done = 0; done < count;) {
        u32 chunk = count - done < limit ? count - done : limit;
        TRY(move(lba + done, chunk, done * fat16::SECTOR_SIZE));
        done += chunk;
    }
    return {};
}
