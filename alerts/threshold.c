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

int threshold_parse(const char *s, struct threshold *out)
{
    static const struct {
        const char *text;
        enum threshold_op op;
    } ops[] = {{">=", TH_GE}, {"<=", TH_LE}, {"==", TH_EQ},
               {"!=", TH_NE}, {">", TH_GT},  {"<", TH_LT}};
    out->op = TH_NONE;
    out->value = NAN;
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
            int rc = parse_double(num, &v);
            free(num);
            if (rc < 0)
                return -1;
            out->op = ops[i].op;
            out->value = v;
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
        st_err_set(err, ST_EFORMAT, "'%s' is not a condition (use e.g. > 600, >= 1, < 0.5)", text);
        return NULL;
    }
    /* "> 600" as `config check` always showed it, unless those digits would give the rules
     * another value than written: then all of them */
    char out[64];
    struct threshold back;
    threshold_text(&t, out, sizeof out);
    if (threshold_parse(out, &back) < 0 || back.value != t.value)
        snprintf(out, sizeof out, "%s %.17g", op_text[t.op], t.value);
    return xstrdup(out);
}
