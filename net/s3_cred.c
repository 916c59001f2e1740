/* s3_cred: where S3 credentials come from: the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or a profile of ~/.aws/credentials and
 * ~/.aws/config ($AWS_SHARED_CREDENTIALS_FILE, $AWS_CONFIG_FILE), with the profile's region.
 * No process state: the settings and the per-profile cache are in s3_sign.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"
#include "net/s3_internal.h"

#define CRED_FILE_MAX_BYTES (1024 * 1024)

void s3_creds_done(struct s3_creds *c)
{
    if (c->secret)
        memset(c->secret, 0, strlen(c->secret));
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    free(c->key);
    free(c->secret);
    free(c->token);
    free(c->region);
    free(c->origin);
    memset(c, 0, sizeof *c);
}

char *s3_dup_nonempty(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

const char *s3_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int s3_aws_parse(char *text, const char *want, struct s3_aws_section *out)
{
    int found = 0;
    bool in = false;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *s = str_trim(line);
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close)
                *close = '\0';
            char *name = str_trim(s + 1);
            if (str_prefix(name, "profile ") || str_prefix(name, "profile\t"))
                name = str_trim(name + 8);
            in = strcmp(name, want) == 0;
            found |= in;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        char *k = str_trim(s), *v = str_trim(eq + 1);
        char **slot = strcmp(k, "aws_access_key_id") == 0       ? &out->key
                      : strcmp(k, "aws_secret_access_key") == 0 ? &out->secret
                      : strcmp(k, "aws_session_token") == 0     ? &out->token
                      : strcmp(k, "region") == 0                ? &out->region
                                                                : NULL;
        if (slot && *v) {
            free(*slot);
            *slot = xstrdup(v);
        }
    }
    return found;
}

/* Free the keys of s, the secret wiped first. */
static void section_done(struct s3_aws_section *s)
{
    if (s->secret)
        memset(s->secret, 0, strlen(s->secret));
    free(s->key);
    free(s->secret);
    free(s->token);
    free(s->region);
}

/* One AWS file (credentials or config): the keys of section `want`. Values may be long
 * (session tokens), so the file is read whole. 1 when the section was found, 0 when not, -1
 * with err when the file cannot be read. */
static int read_aws_file(const char *path, const char *want, struct s3_aws_section *out,
                         struct st_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return st_err_set(err, ST_EIO, "%s: %s", path, strerror(errno));
    }
    char *text = xmalloc(CRED_FILE_MAX_BYTES + 1);
    size_t n = fread(text, 1, CRED_FILE_MAX_BYTES + 1, f);
    fclose(f);
    if (n > CRED_FILE_MAX_BYTES) {
        free(text);
        return st_err_set(err, ST_ETOOBIG, "%s: larger than %d bytes", path, CRED_FILE_MAX_BYTES);
    }
    text[n] = '\0';
    int found = s3_aws_parse(text, want, out);
    memset(text, 0, n);
    free(text);
    return found;
}

static char *aws_path(const char *envname, const char *file)
{
    const char *p = s3_env(envname);
    if (p)
        return xstrdup(p);
    const char *home = s3_env("HOME");
    return xasprintf("%s/.aws/%s", home ? home : ".", file);
}

int s3_creds_resolve(const char *profile, struct s3_creds *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    const char *name = profile;
    char *cfgpath = aws_path("AWS_CONFIG_FILE", "config");
    struct s3_aws_section conf = {0};
    if (!profile && s3_env("AWS_ACCESS_KEY_ID") && s3_env("AWS_SECRET_ACCESS_KEY")) {
        out->key = xstrdup(s3_env("AWS_ACCESS_KEY_ID"));
        out->secret = xstrdup(s3_env("AWS_SECRET_ACCESS_KEY"));
        out->token = s3_dup_nonempty(s3_env("AWS_SESSION_TOKEN"));
        out->origin = xstrdup("environment");
        name = s3_env("AWS_PROFILE") ? s3_env("AWS_PROFILE") : "default";
        if (read_aws_file(cfgpath, name, &conf, err) > 0)
            out->region = conf.region ? xstrdup(conf.region) : NULL;
        section_done(&conf);
        free(cfgpath);
        return 0;
    }
    if (!name)
        name = s3_env("AWS_PROFILE") ? s3_env("AWS_PROFILE") : "default";
    char *credpath = aws_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    struct s3_aws_section cred = {0};
    int rc = read_aws_file(credpath, name, &cred, err);
    int rc2 = rc < 0 ? 0 : read_aws_file(cfgpath, name, &conf, err);
    if (rc >= 0 && rc2 >= 0) {
        /* keys may also sit in the config file's profile */
        char *key = cred.key ? cred.key : conf.key;
        char *secret = cred.secret ? cred.secret : conf.secret;
        if (key && secret) {
            out->key = xstrdup(key);
            out->secret = xstrdup(secret);
            out->token = cred.token ? xstrdup(cred.token) : s3_dup_nonempty(conf.token);
            out->region = conf.region ? xstrdup(conf.region) : NULL;
            out->origin = xasprintf("profile '%s' (%s)", name, cred.key ? credpath : cfgpath);
        } else if (rc > 0 || rc2 > 0) {
            rc = st_err_set(err, ST_EFAIL,
                            "AWS profile '%s' has no aws_access_key_id and aws_secret_access_key "
                            "(%s)",
                            name, credpath);
        } else if (profile || s3_env("AWS_PROFILE")) {
            rc = st_err_set(err, ST_EFAIL, "AWS profile '%s' not found in %s or %s", name, credpath,
                            cfgpath);
        } else {
            rc = st_err_set(err, ST_EFAIL,
                            "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY, or add a [default] profile to %s",
                            credpath);
        }
    }
    section_done(&cred);
    section_done(&conf);
    free(credpath);
    free(cfgpath);
    if (rc < 0) {
        s3_creds_done(out);
        return -1;
    }
    return 0;
}
