# The llama2.c-compatible reference transformer (tests/llm/reference.c) that
# the transformer module is checked against, built three ways: with the
# project's reference flags (gcc -O2, 32-bit SSE), with -O3 -march=native
# -ffast-math, and as a 64-bit program. `make test` builds all three; the
# tests in tests/tools/test_llm_*.py run them.
LLM_REFERENCE := $(BUILD)/llm/reference
LLM_REFERENCE_FAST := $(BUILD)/llm/reference_fast
LLM_REFERENCE_64 := $(BUILD)/llm/reference64
LLM_REFERENCE_WARN := -std=c99 -Wall -Wextra

$(LLM_REFERENCE): tests/llm/reference.c
	@mkdir -p $(@D)
	gcc $(LLM_REFERENCE_WARN) -O2 -m32 -msse2 -mfpmath=sse $< -o $@ -lm

$(LLM_REFERENCE_FAST): tests/llm/reference.c
	@mkdir -p $(@D)
	gcc $(LLM_REFERENCE_WARN) -O3 -march=native -ffast-math -m32 $< -o $@ -lm

$(LLM_REFERENCE_64): tests/llm/reference.c
	@mkdir -p $(@D)
	gcc $(LLM_REFERENCE_WARN) -O2 $< -o $@ -lm

TEST_PREREQS += $(LLM_REFERENCE) $(LLM_REFERENCE_FAST) $(LLM_REFERENCE_64)

# `make bench`: the Flow transformer against both reference builds, in
# tokens per second (tests/llm/llm_bench.py); figures in $(BUILD)/bench/llm.json.
.PHONY: bench-llm
bench-llm: $(BUILD)/host/llm $(BUILD)/modules/LLAMA2.BFM $(LLM_REFERENCE) $(LLM_REFERENCE_FAST)
	$(PYTHON) tests/llm/llm_bench.py $(BUILD)
BENCH_TARGETS += bench-llm
