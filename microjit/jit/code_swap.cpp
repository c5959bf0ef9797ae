// The retired-code list; see code_swap.h for the rule it implements.
#include <microjit/jit/code_swap.h>

void CodeRetirement::retire(CodeBlock block)
{
    if (!block.code)
        return;
    if (m_native_depth == 0) {
        m_pool.free(block.code);
        ++m_freed;
        return;
    }
    if (m_pending == capacity) {
        ++m_leaked;
        return;
    }
    m_list[m_pending++] = block;
}

void CodeRetirement::free_pending()
{
    for (u32 i = 0; i < m_pending; ++i) {
        m_pool.free(m_list[i].code);
        ++m_freed;
    }
    m_pending = 0;
}
