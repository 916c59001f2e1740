#include "alerts/threshold.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"

/* in the order of enum threshold_op */
static const char *const op_text[] = {"", ">", ">=", "<", "<=", "==", "!="};

/* A number, a duration or a size: its value (seconds, bytes) and, for the latter two, the text
 * as written without spaces. 0 or -1. */
static int parse_amount(const char *num, double *v, char *unit, size_t unitlen)
{
    *unit = '\0';
    if (parse_double(num, v) == 0)
        return 0;
    static const struct {
        const char *suffix;
        double factor;
    } sizes[] = {{"KiB", 1024.0},       {"MiB", 1048576.0},
                 {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
                 {"kB", 1e3},           {"KB", 1e3},
                 {"MB", 1e6},           {"GB", 1e9},
                 {"TB", 1e12},          {"B", 1}};
    char compact[64];
    size_t n = 0;
    for (const char *c = num; *c && n + 1 < sizeof compact; c++)
        if (!isspace((unsigned char)*c))
            compact[n++] = *c;
    compact[n] = '\0';
    if (n == 0 || n + 1 > unitlen)
        return -1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t sl = strlen(sizes[i].suffix);
        if (n > sl && strcmp(compact + n - sl, sizes[i].suffix) == 0) {
            char digits[64];
            snprintf(digits, sizeof digits, "%.*s", (int)(n - sl), compact);
            double d;
            if (parse_double(digits, &d) < 0)
                return -1;
            *v = d * sizes[i].factor;
            memcpy(unit, compact, n + 1);
            return 0;
        }
    }
    int64_t ms;
    if (!isalpha((unsigned char)compact[n - 1]) || parse_duration_ms(compact, &ms) < 0)
        return -1;
    *v = (double)ms / 1000;
    memcpy(unit, compact, n + 1);
    return 0;
}

int threshold_parse(const char *s, struct threshold *out)
{
    static const struct {
        const char *text;
        enum threshold_op op;
    } ops[] = {{">=", TH_GE}, {"<=", TH_LE}, {"==", TH_EQ},
               {"!=", TH_NE}, {">", TH_GT},  {"<", TH_LT}};
    out->op = TH_NONE;
    out->value = NAN;
    out->unit[0] = '\0';
    if (!s)
        return 0;
    while (isspace((unsigned char)*s))
        s++;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(s, ops[i].text, n) == 0) {
            char *num = xstrdup(s + n);
            str_trim(num);
            double v;
            char unit[sizeof out->unit];
            int rc = parse_amount(num, &v, unit, sizeof unit);
            free(num);
            if (rc < 0)
                return -1;
            out->op = ops[i].op;
            out->value = v;
            memcpy(out->unit, unit, sizeof unit);
            return 0;
        }
    }
    return -1;
}

char *threshold_text(const struct threshold *t, char *out, size_t outlen)
{
    char num[32];
    if (t->op == TH_NONE)
        snprintf(out, outlen, "%s", "");
    else if (t->unit[0])
        snprintf(out, outlen, "%s %s", op_text[t->op], t->unit);
    else
        snprintf(out, outlen, "%s %s", op_text[t->op], fmt_number(t->value, num, sizeof num));
    return out;
}

bool threshold_met(const struct threshold *t, double v)
{
    if (isnan(v))
        return false;
    switch (t->op) {
    case TH_GT:
        return v > t->value;
    case TH_GE:
        return v >= t->value;
    case TH_LT:
        return v < t->value;
    case TH_LE:
        return v <= t->value;
    case TH_EQ:
        return v == t->value;
    case TH_NE:
        return v != t->value;
    case TH_NONE:
        break;
    }
    return false;
}

char *threshold_validate(const char *text, struct st_err *err)
{
    struct threshold t;
    if (threshold_parse(text, &t) < 0) {
        st_err_set(err, ST_EFORMAT,
                   "'%s' is not a condition (use e.g. > 600, >= 1, < 0.5, > 10m, > 1GiB)", text);
        return NULL;
    }
    /* "> 600" as `config check` always showed it, unless those digits would give the rules
     * another value than written: then all of them */
    char out[64];
    struct threshold back;
    threshold_text(&t, out, sizeof out);
    if (!t.unit[0] && (threshold_parse(out, &back) < 0 || back.value != t.value))
        snprintf(out, sizeof out, "%s %.17g", op_text[t.op], t.value);
    return xstrdup(out);
}
