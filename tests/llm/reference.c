/* The reference transformer the Flow module is checked against: llama2.c's
 * run.c semantics (legacy checkpoint, tokenizer.bin, forward pass, sampler,
 * BPE encoding, decoding and the generation loop), written out in C99 with
 * extra machine-readable output for the tests.
 *
 *   reference CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP]
 *             [-s SEED] [-i PROMPT] [--logits K]
 *   reference CHECKPOINT [-z TOKENIZER] --encode TEXT     encoded ids, one line
 *   reference CHECKPOINT [-z TOKENIZER] --decode "IDS"    ids 2..n printed as
 *                                   generation prints them, each after its predecessor
 *   reference --rng N [-s SEED]            line k: the k-th random_u32 of the seed
 *                                          and the k-th random_f32 of a fresh state
 *
 * Generation prints the text exactly as run.c does (pieces, then "\n"; run.c's
 * tok/s line on stderr is left out), then:
 *   tokens: ID ID ...           the token at position 0 and every next token
 *                               chosen (prompt tokens included, and a final 1
 *                               when generation stopped on BOS)
 *   logits P: V V ...           with --logits K, for P = 0..K-1: the raw
 *                               logits of position P, each printed with %.9g
 *
 * The one deliberate difference from run.c: top-p sorts candidates with a
 * total order, descending probability and, on equal probabilities, ascending
 * token id (run.c's qsort leaves ties in an unspecified order).
 *
 * Errors (a truncated checkpoint, a header whose sizes do not add up, a
 * short tokenizer, bad arguments) print one line on stderr and exit 1.
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- checkpoint --------------------------------------------------------- */

typedef struct {
    int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
} Config;

typedef struct {
    float *token_embedding_table, *rms_att_weight, *wq, *wk, *wv, *wo;
    float *rms_ffn_weight, *w1, *w2, *w3, *rms_final_weight, *wcls;
} Weights;

typedef struct {
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits, *key_cache, *value_cache;
} RunState;

typedef struct {
    Config config;
    Weights weights;
    RunState state;
    float *data;
} Transformer;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "reference: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        die("out of memory%s", "");
    return p;
}

static void read_checkpoint(Transformer *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open checkpoint %s", path);
    Config *c = &t->config;
    int32_t h[7];
    if (fread(h, sizeof(int32_t), 7, f) != 7)
        die("checkpoint %s: shorter than its 28-byte header", path);
    c->dim = h[0]; c->hidden_dim = h[1]; c->n_layers = h[2]; c->n_heads = h[3];
    c->n_kv_heads = h[4]; c->vocab_size = h[5]; c->seq_len = h[6];
    int shared = c->vocab_size > 0;
    c->vocab_size = abs(c->vocab_size);
    char msg[512];
    snprintf(msg, sizeof msg, "dim %d, hidden_dim %d, n_layers %d, n_heads %d, n_kv_heads %d, vocab_size %d, seq_len %d",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
    if (c->dim <= 0 || c->hidden_dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 ||
        c->vocab_size <= 0 || c->seq_len <= 0 || c->dim % c->n_heads || c->n_heads % c->n_kv_heads ||
        c->dim % 2 || (c->dim / c->n_heads * c->n_kv_heads) % 2)
        die("checkpoint header does not describe a model (%s): sizes must be positive, dim a multiple of n_heads, "
            "n_heads of n_kv_heads, dim and kv_dim even", msg);
    long long dim = c->dim, hid = c->hidden_dim, L = c->n_layers, V = c->vocab_size;
    long long head_size = dim / c->n_heads, kv_dim = dim * c->n_kv_heads / c->n_heads;
    long long count = V * dim + L * dim * 2 + L * dim * dim * 2 + L * dim * kv_dim * 2 + L * dim * hid * 3 + dim +
                      (long long)c->seq_len * head_size / 2 * 2 + (shared ? 0 : V * dim);
    long long expected = 28 + 4 * count;
    if (fseek(f, 0, SEEK_END) != 0)
        die("cannot seek in checkpoint %s", path);
    long long actual = ftell(f);
    if (actual != expected) {
        char sizes[700];
        snprintf(sizes, sizeof sizes, "%s is %lld bytes but its header (%s, %s classifier) implies %lld bytes "
                 "(%s, or not a legacy llama2.c checkpoint)", path, actual, msg, shared ? "shared" : "unshared",
                 expected, actual < expected ? "truncated" : "trailing data");
        die("checkpoint %s", sizes);
    }
    if (count > (long long)(SIZE_MAX / 4))
        die("checkpoint %s does not fit in memory", path);
    t->data = xcalloc((size_t)count, sizeof(float));
    fseek(f, 28, SEEK_SET);
    if (fread(t->data, sizeof(float), (size_t)count, f) != (size_t)count)
        die("checkpoint %s: read error", path);
    fclose(f);

    Weights *w = &t->weights;
    float *p = t->data;
    w->token_embedding_table = p; p += V * dim;
    w->rms_att_weight = p; p += L * dim;
    w->wq = p; p += L * dim * dim;
    w->wk = p; p += L * dim * kv_dim;
    w->wv = p; p += L * dim * kv_dim;
    w->wo = p; p += L * dim * dim;
    w->rms_ffn_weight = p; p += L * dim;
    w->w1 = p; p += L * dim * hid;
    w->w2 = p; p += L * hid * dim;
    w->w3 = p; p += L * dim * hid;
    w->rms_final_weight = p; p += dim;
    p += (long long)c->seq_len * head_size / 2; /* freq_cis_real */
    p += (long long)c->seq_len * head_size / 2; /* freq_cis_imag */
    w->wcls = shared ? w->token_embedding_table : p;

    RunState *s = &t->state;
    s->x = xcalloc(dim, sizeof(float));
    s->xb = xcalloc(dim, sizeof(float));
    s->xb2 = xcalloc(dim, sizeof(float));
    s->hb = xcalloc(hid, sizeof(float));
    s->hb2 = xcalloc(hid, sizeof(float));
    s->q = xcalloc(dim, sizeof(float));
    s->key_cache = xcalloc((size_t)(L * c->seq_len * kv_dim), sizeof(float));
    s->value_cache = xcalloc((size_t)(L * c->seq_len * kv_dim), sizeof(float));
    s->att = xcalloc((size_t)c->n_heads * c->seq_len, sizeof(float));
    s->logits = xcalloc(V, sizeof(float));
}

/* ---- forward pass ------------------------------------------------------- */

static void rmsnorm(float *o, const float *x, const float *weight, int size)
{
    float ss = 0.0f;
    for (int j = 0; j < size; j++)
        ss += x[j] * x[j];
    ss /= size;
    ss += 1e-5f;
    ss = 1.0f / sqrtf(ss);
    for (int j = 0; j < size; j++)
        o[j] = weight[j] * (ss * x[j]);
}

static void softmax(float *x, int size)
{
    float max_val = x[0];
    for (int i = 1; i < size; i++)
        if (x[i] > max_val)
            max_val = x[i];
    float sum = 0.0f;
    for (int i = 0; i < size; i++) {
        x[i] = expf(x[i] - max_val);
        sum += x[i];
    }
    for (int i = 0; i < size; i++)
        x[i] /= sum;
}

/* W (d,n) @ x (n,) -> xout (d,) */
static void matmul(float *xout, const float *x, const float *w, int n, int d)
{
    for (int i = 0; i < d; i++) {
        float val = 0.0f;
        for (int j = 0; j < n; j++)
            val += w[(size_t)i * n + j] * x[j];
        xout[i] = val;
    }
}

static float *forward(Transformer *t, int token, int pos)
{
    Config *p = &t->config;
    Weights *w = &t->weights;
    RunState *s = &t->state;
    float *x = s->x;
    int dim = p->dim, hidden_dim = p->hidden_dim, head_size = dim / p->n_heads;
    int kv_dim = dim * p->n_kv_heads / p->n_heads, kv_mul = p->n_heads / p->n_kv_heads;

    memcpy(x, w->token_embedding_table + (size_t)token * dim, dim * sizeof(float));
    for (int l = 0; l < p->n_layers; l++) {
        rmsnorm(s->xb, x, w->rms_att_weight + (size_t)l * dim, dim);
        size_t loff = (size_t)l * p->seq_len * kv_dim;
        float *k = s->key_cache + loff + (size_t)pos * kv_dim;
        float *v = s->value_cache + loff + (size_t)pos * kv_dim;
        matmul(s->q, s->xb, w->wq + (size_t)l * dim * dim, dim, dim);
        matmul(k, s->xb, w->wk + (size_t)l * dim * kv_dim, dim, kv_dim);
        matmul(v, s->xb, w->wv + (size_t)l * dim * kv_dim, dim, kv_dim);

        /* RoPE: rotate q, and k for i < kv_dim, in pairs */
        for (int i = 0; i < dim; i += 2) {
            int head_dim = i % head_size;
            float freq = 1.0f / powf(10000.0f, head_dim / (float)head_size);
            float val = pos * freq;
            float fcr = cosf(val), fci = sinf(val);
            int rotn = i < kv_dim ? 2 : 1;
            for (int r = 0; r < rotn; r++) {
                float *vec = r == 0 ? s->q : k;
                float v0 = vec[i], v1 = vec[i + 1];
                vec[i] = v0 * fcr - v1 * fci;
                vec[i + 1] = v0 * fci + v1 * fcr;
            }
        }

        for (int h = 0; h < p->n_heads; h++) {
            float *q = s->q + h * head_size;
            float *att = s->att + (size_t)h * p->seq_len;
            for (int ts = 0; ts <= pos; ts++) {
                float *kt = s->key_cache + loff + (size_t)ts * kv_dim + (h / kv_mul) * head_size;
                float score = 0.0f;
                for (int i = 0; i < head_size; i++)
                    score += q[i] * kt[i];
                score /= sqrtf(head_size);
                att[ts] = score;
            }
            softmax(att, pos + 1);
            float *xb = s->xb + h * head_size;
            memset(xb, 0, head_size * sizeof(float));
            for (int ts = 0; ts <= pos; ts++) {
                float *vt = s->value_cache + loff + (size_t)ts * kv_dim + (h / kv_mul) * head_size;
                float a = att[ts];
                for (int i = 0; i < head_size; i++)
                    xb[i] += a * vt[i];
            }
        }
        matmul(s->xb2, s->xb, w->wo + (size_t)l * dim * dim, dim, dim);
        for (int i = 0; i < dim; i++)
            x[i] += s->xb2[i];

        rmsnorm(s->xb, x, w->rms_ffn_weight + (size_t)l * dim, dim);
        matmul(s->hb, s->xb, w->w1 + (size_t)l * dim * hidden_dim, dim, hidden_dim);
        matmul(s->hb2, s->xb, w->w3 + (size_t)l * dim * hidden_dim, dim, hidden_dim);
        for (int i = 0; i < hidden_dim; i++) {
            float val = s->hb[i];
            val *= (1.0f / (1.0f + expf(-val)));
            val *= s->hb2[i];
            s->hb[i] = val;
        }
        matmul(s->xb, s->hb, w->w2 + (size_t)l * dim * hidden_dim, hidden_dim, dim);
        for (int i = 0; i < dim; i++)
            x[i] += s->xb[i];
    }
    rmsnorm(x, x, w->rms_final_weight, dim);
    matmul(s->logits, x, w->wcls, dim, p->vocab_size);
    return s->logits;
}

/* ---- tokenizer ---------------------------------------------------------- */

typedef struct {
    char *str;
    int id;
} TokenIndex;

typedef struct {
    char **vocab;
    float *vocab_scores;
    TokenIndex *sorted_vocab;
    int vocab_size;
    unsigned int max_token_length;
    unsigned char byte_pieces[512];
} Tokenizer;

static int compare_tokens(const void *a, const void *b)
{
    return strcmp(((const TokenIndex *)a)->str, ((const TokenIndex *)b)->str);
}

static void read_tokenizer(Tokenizer *t, const char *path, int vocab_size)
{
    t->vocab_size = vocab_size;
    t->vocab = xcalloc(vocab_size, sizeof(char *));
    t->vocab_scores = xcalloc(vocab_size, sizeof(float));
    for (int i = 0; i < 256; i++) {
        t->byte_pieces[i * 2] = (unsigned char)i;
        t->byte_pieces[i * 2 + 1] = '\0';
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open tokenizer %s", path);
    int32_t max_len;
    if (fread(&max_len, sizeof max_len, 1, f) != 1 || max_len <= 0)
        die("tokenizer %s: no max_token_length", path);
    t->max_token_length = (unsigned)max_len;
    for (int i = 0; i < vocab_size; i++) {
        int32_t len;
        if (fread(t->vocab_scores + i, sizeof(float), 1, f) != 1 || fread(&len, sizeof len, 1, f) != 1 || len < 0) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s holds fewer tokens (%d) than the checkpoint's vocab_size %d", path, i,
                     vocab_size);
            die("tokenizer %s", msg);
        }
        t->vocab[i] = xcalloc((size_t)len + 1, 1);
        if (fread(t->vocab[i], 1, (size_t)len, f) != (size_t)len)
            die("tokenizer %s: truncated token", path);
    }
    fclose(f);
    t->sorted_vocab = xcalloc(vocab_size, sizeof(TokenIndex));
    for (int i = 0; i < vocab_size; i++) {
        t->sorted_vocab[i].str = t->vocab[i];
        t->sorted_vocab[i].id = i;
    }
    qsort(t->sorted_vocab, vocab_size, sizeof(TokenIndex), compare_tokens);
}

static int str_lookup(const char *str, const Tokenizer *t)
{
    TokenIndex tok = {(char *)str, 0};
    TokenIndex *res = bsearch(&tok, t->sorted_vocab, t->vocab_size, sizeof(TokenIndex), compare_tokens);
    return res ? res->id : -1;
}

/* BOS, a dummy-prefix " " for non-empty text, code points (byte fallback
 * byte+3), then merge the best-scoring adjacent pair until none is left. */
static void encode(const Tokenizer *t, const char *text, int *tokens, int *n_tokens)
{
    char *buf = xcalloc(t->max_token_length * 2 + 1 + 2, 1);
    size_t str_len = 0;
    *n_tokens = 0;
    tokens[(*n_tokens)++] = 1;
    if (text[0] != '\0') {
        int dummy_prefix = str_lookup(" ", t);
        if (dummy_prefix < 0)
            die("tokenizer has no \" \" token for the dummy prefix%s", "");
        tokens[(*n_tokens)++] = dummy_prefix;
    }
    for (const char *c = text; *c != '\0'; c++) {
        if ((*c & 0xC0) != 0x80)
            str_len = 0;
        buf[str_len++] = *c;
        buf[str_len] = '\0';
        if ((*(c + 1) & 0xC0) == 0x80 && str_len < 4)
            continue;
        int id = str_lookup(buf, t);
        if (id != -1) {
            tokens[(*n_tokens)++] = id;
        } else {
            for (size_t i = 0; i < str_len; i++) {
                if ((unsigned char)buf[i] + 3 >= t->vocab_size)
                    die("tokenizer has no byte token for a character of the prompt%s", "");
                tokens[(*n_tokens)++] = (unsigned char)buf[i] + 3;
            }
        }
        str_len = 0;
    }
    char *pair = xcalloc(t->max_token_length * 2 + 1 + 2, 1);
    for (;;) {
        float best_score = -1e10f;
        int best_id = -1, best_idx = -1;
        for (int i = 0; i < *n_tokens - 1; i++) {
            size_t la = strlen(t->vocab[tokens[i]]), lb = strlen(t->vocab[tokens[i + 1]]);
            if (la + lb > t->max_token_length * 2)
                continue; /* cannot be a token; run.c's buffer would overflow here */
            memcpy(pair, t->vocab[tokens[i]], la);
            memcpy(pair + la, t->vocab[tokens[i + 1]], lb + 1);
            int id = str_lookup(pair, t);
            if (id != -1 && t->vocab_scores[id] > best_score) {
                best_score = t->vocab_scores[id];
                best_id = id;
                best_idx = i;
            }
        }
        if (best_idx == -1)
            break;
        tokens[best_idx] = best_id;
        for (int i = best_idx + 1; i < *n_tokens - 1; i++)
            tokens[i] = tokens[i + 1];
        (*n_tokens)--;
    }
    free(pair);
    free(buf);
}

static const char *decode(const Tokenizer *t, int prev_token, int token)
{
    const char *piece = t->vocab[token];
    if (prev_token == 1 && piece[0] == ' ')
        piece++;
    unsigned char byte_val;
    if (sscanf(piece, "<0x%02hhX>", &byte_val) == 1)
        piece = (const char *)t->byte_pieces + byte_val * 2;
    return piece;
}

static void safe_printf(const char *piece)
{
    if (piece == NULL || piece[0] == '\0')
        return;
    if (piece[1] == '\0') {
        unsigned char byte_val = (unsigned char)piece[0];
        if (!(isprint(byte_val) || isspace(byte_val)))
            return;
    }
    printf("%s", piece);
}

/* ---- sampler ------------------------------------------------------------ */

typedef struct {
    float prob;
    int index;
} ProbIndex;

static unsigned int random_u32(unsigned long long *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (unsigned int)((*state * 0x2545F4914F6CDD1Dull) >> 32);
}

static float random_f32(unsigned long long *state)
{
    return (random_u32(state) >> 8) / 16777216.0f;
}

static int sample_argmax(const float *probabilities, int n)
{
    int max_i = 0;
    float max_p = probabilities[0];
    for (int i = 1; i < n; i++)
        if (probabilities[i] > max_p) {
            max_i = i;
            max_p = probabilities[i];
        }
    return max_i;
}

static int sample_mult(const float *probabilities, int n, float coin)
{
    float cdf = 0.0f;
    for (int i = 0; i < n; i++) {
        cdf += probabilities[i];
        if (coin < cdf)
            return i;
    }
    return n - 1;
}

/* Descending probability; equal probabilities by ascending token id. */
static int compare_prob(const void *a, const void *b)
{
    const ProbIndex *a_ = a, *b_ = b;
    if (a_->prob > b_->prob)
        return -1;
    if (a_->prob < b_->prob)
        return 1;
    return (a_->index > b_->index) - (a_->index < b_->index);
}

static int sample_topp(const float *probabilities, int n, float topp, ProbIndex *probindex, float coin)
{
    int n0 = 0;
    const float cutoff = (1.0f - topp) / (n - 1);
    for (int i = 0; i < n; i++)
        if (probabilities[i] >= cutoff) {
            probindex[n0].index = i;
            probindex[n0].prob = probabilities[i];
            n0++;
        }
    qsort(probindex, n0, sizeof(ProbIndex), compare_prob);
    float cumulative_prob = 0.0f;
    int last_idx = n0 - 1;
    for (int i = 0; i < n0; i++) {
        cumulative_prob += probindex[i].prob;
        if (cumulative_prob > topp) {
            last_idx = i;
            break;
        }
    }
    float r = coin * cumulative_prob;
    float cdf = 0.0f;
    for (int i = 0; i <= last_idx; i++) {
        cdf += probindex[i].prob;
        if (r < cdf)
            return probindex[i].index;
    }
    return probindex[last_idx].index;
}

typedef struct {
    int vocab_size;
    ProbIndex *probindex;
    float temperature, topp;
    unsigned long long rng_state;
} Sampler;

static int sample(Sampler *s, float *logits)
{
    if (s->temperature == 0.0f)
        return sample_argmax(logits, s->vocab_size);
    for (int q = 0; q < s->vocab_size; q++)
        logits[q] /= s->temperature;
    softmax(logits, s->vocab_size);
    float coin = random_f32(&s->rng_state);
    if (s->topp <= 0 || s->topp >= 1)
        return sample_mult(logits, s->vocab_size, coin);
    return sample_topp(logits, s->vocab_size, s->topp, s->probindex, coin);
}

/* ---- generation --------------------------------------------------------- */

static long time_in_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void generate(Transformer *t, const Tokenizer *tok, Sampler *sampler, const char *prompt, int steps,
                     int logits_k)
{
    int vocab = t->config.vocab_size;
    int *prompt_tokens = xcalloc(strlen(prompt) + 3, sizeof(int));
    int num_prompt_tokens = 0;
    encode(tok, prompt, prompt_tokens, &num_prompt_tokens);
    int *seq = xcalloc((size_t)steps + 1, sizeof(int));
    int n_seq = 0;
    float *saved = xcalloc((size_t)(logits_k > 0 ? logits_k : 1) * vocab, sizeof(float));
    int n_saved = 0;

    int token = prompt_tokens[0], next, pos = 0;
    long start = 0; /* run.c's timer: from the first token on */
    seq[n_seq++] = token;
    while (pos < steps) {
        float *logits = forward(t, token, pos);
        if (pos < logits_k) {
            memcpy(saved + (size_t)pos * vocab, logits, vocab * sizeof(float));
            n_saved = pos + 1;
        }
        if (pos < num_prompt_tokens - 1)
            next = prompt_tokens[pos + 1];
        else
            next = sample(sampler, logits);
        pos++;
        seq[n_seq++] = next;
        if (next == 1)
            break;
        safe_printf(decode(tok, token, next));
        fflush(stdout);
        token = next;
        if (start == 0)
            start = time_in_ms();
    }
    printf("\n");
    if (pos > 1) /* as run.c, on stderr */
        fprintf(stderr, "achieved tok/s: %f\n", (pos - 1) / (double)(time_in_ms() - start) * 1000);
    printf("tokens:");
    for (int i = 0; i < n_seq; i++)
        printf(" %d", seq[i]);
    printf("\n");
    for (int p = 0; p < n_saved; p++) {
        printf("logits %d:", p);
        for (int i = 0; i < vocab; i++)
            printf(" %.9g", saved[(size_t)p * vocab + i]);
        printf("\n");
    }
    free(saved);
    free(seq);
    free(prompt_tokens);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: reference CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP] [-s SEED] [-i PROMPT]\n"
            "                 [--logits K] [--encode TEXT] [--decode \"IDS\"]\n"
            "       reference --rng N [-s SEED]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *checkpoint = NULL, *tokenizer_path = "tokenizer.bin", *prompt = NULL;
    const char *encode_text = NULL, *decode_ids = NULL;
    float temperature = 1.0f, topp = 0.9f;
    int steps = 256, logits_k = 0, rng_n = -1;
    unsigned long long rng_seed = 0;

    int i = 1;
    if (argc >= 2 && argv[1][0] != '-') {
        checkpoint = argv[1];
        i = 2;
    }
    for (; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "-z")) tokenizer_path = v;
        else if (!strcmp(a, "-n")) steps = atoi(v);
        else if (!strcmp(a, "-t")) temperature = (float)atof(v);
        else if (!strcmp(a, "-p")) topp = (float)atof(v);
        else if (!strcmp(a, "-s")) rng_seed = (unsigned long long)atoi(v);
        else if (!strcmp(a, "-i")) prompt = v;
        else if (!strcmp(a, "--logits")) logits_k = atoi(v);
        else if (!strcmp(a, "--encode")) encode_text = v;
        else if (!strcmp(a, "--decode")) decode_ids = v;
        else if (!strcmp(a, "--rng")) rng_n = atoi(v);
        else usage();
    }

    if (rng_n >= 0) {
        unsigned long long state = rng_seed, state_f = rng_seed;
        for (int k = 0; k < rng_n; k++) {
            unsigned int u = random_u32(&state);
            float f = random_f32(&state_f);
            printf("%u %.9g\n", u, f);
        }
        return 0;
    }
    if (!checkpoint)
        usage();
    if (rng_seed <= 0)
        rng_seed = (unsigned int)time(NULL);
    if (temperature < 0.0f) temperature = 0.0f;
    if (topp < 0.0f || 1.0f < topp) topp = 0.9f;
    if (steps < 0) steps = 0;

    static Transformer t;
    read_checkpoint(&t, checkpoint);
    if (steps == 0 || steps > t.config.seq_len)
        steps = t.config.seq_len;
    if (t.config.vocab_size < 3)
        die("checkpoint %s: vocab_size below 3 leaves no room for BOS and EOS", checkpoint);
    static Tokenizer tok;
    read_tokenizer(&tok, tokenizer_path, t.config.vocab_size);

    if (encode_text) {
        int *ids = xcalloc(strlen(encode_text) + 3, sizeof(int));
        int n = 0;
        encode(&tok, encode_text, ids, &n);
        for (int k = 0; k < n; k++)
            printf(k ? " %d" : "%d", ids[k]);
        printf("\n");
        return 0;
    }
    if (decode_ids) {
        const char *c = decode_ids;
        char *end;
        long prev = -1;
        for (;;) {
            long id = strtol(c, &end, 10);
            if (end == c)
                break;
            if (id < 0 || id >= t.config.vocab_size)
                die("--decode: token id out of range in \"%s\"", decode_ids);
            if (prev >= 0)
                safe_printf(decode(&tok, (int)prev, (int)id));
            prev = id;
            c = end;
        }
        printf("\n");
        return 0;
    }

    Sampler sampler = {t.config.vocab_size, xcalloc(t.config.vocab_size, sizeof(ProbIndex)), temperature, topp,
                       rng_seed};
    generate(&t, &tok, &sampler, prompt ? prompt : "", steps, logits_k);
    return 0;
}
