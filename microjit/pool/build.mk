# microjit/pool: the allocator behind the code, data and metadata pools.
# pool_core.cpp is portable and builds into the kernel and the host;
# host_pools.cpp maps the regions with mmap and is for host programs only.
MICROJIT_SRCS += microjit/pool/pool_core.cpp
MICROJIT_HOST_SRCS += microjit/pool/host_pools.cpp
