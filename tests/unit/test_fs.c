/* Local storage under a scope: links out of the configured roots are refused on every call,
 * whether the folders on the way were checked before in the same scope or not, by stat, read
 * and listing alike, and what a scope let through is checked again under the next one; whether
 * folder times are durable is answered by device. */
#include "testutil.h"

#include "collectors/fs.h"

struct tree {
    char *base;    /* (owned) scratch folder */
    char *root;    /* (owned) base/root: the configured path */
    char *outside; /* (owned) base/outside: a folder no root names */
};

/* root/good/f, root/good/sub/g, root/in -> good, root/out -> outside, root/fileout ->
 * outside/secret, root/filein -> good/f, root/dangling -> a missing file, root/good/sub/out ->
 * outside (a link out below folders checked before). */
static void tree_make(struct tree *t)
{
    t->base = scratch_dir("fs");
    t->root = xasprintf("%s/root", t->base);
    t->outside = xasprintf("%s/outside", t->base);
    write_str(t->root, "good/f", "inside\n");
    write_str(t->root, "good/sub/g", "deeper\n");
    write_str(t->outside, "secret", "root-only secret\n");
    write_str(t->outside, "f", "outside f\n");
    char *p;
    struct {
        const char *rel, *target;
    } links[] = {{"in", "good"},       {"out", t->outside},     {"fileout", "../outside/secret"},
                 {"filein", "good/f"}, {"dangling", "missing"}, {"good/sub/out", t->outside}};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        p = xasprintf("%s/%s", t->root, links[i].rel);
        assert_int_equal(symlink(links[i].target, p), 0);
        free(p);
    }
}

static void tree_done(struct tree *t)
{
    char *cmd = xasprintf("rm -rf '%s'", t->base);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(t->base);
    free(t->root);
    free(t->outside);
}

static int count_entry(const struct fs_entry *e, void *ctx)
{
    (void)e;
    (*(int *)ctx)++;
    return 0;
}

enum op { OP_STAT, OP_READ, OP_LIST };

/* The call op on root/rel: 0, or -1 with err.msg containing want (want NULL: must succeed). */
static void expect(const struct tree *t, enum op op, const char *rel, const char *want)
{
    char *path = xasprintf("%s/%s", t->root, rel);
    struct st_err err = {0};
    struct fs_entry e;
    struct buf b;
    buf_init(&b);
    int n = 0, rc = op == OP_STAT   ? fs_stat(path, &e, &err)
                    : op == OP_READ ? fs_read(path, 4096, &b, NULL, &err)
                                    : fs_list(path, 0, count_entry, &n, &err);
    if (want == NULL && rc != 0)
        fail_msg("%s (op %d): refused: %s", path, (int)op, err.msg);
    if (want && rc == 0)
        fail_msg("%s (op %d): allowed, want an error containing '%s'", path, (int)op, want);
    if (want && !strstr(err.msg, want))
        fail_msg("%s (op %d): error '%s', want '%s'", path, (int)op, err.msg, want);
    buf_done(&b);
    free(path);
}

#define LINK_OUT "a link out of the configured paths; not followed"
#define THROUGH  "reached through a link out of the configured paths"

/* Each call twice and in both orders around its folders' first check: the second time the
 * folders on the way are remembered by the scope, and the verdict must not change. */
static void test_links_out_refused_on_every_call(void **unused)
{
    (void)unused;
    struct tree t;
    tree_make(&t);
    const char *roots[] = {t.root};
    struct fs_scope scope = {.roots = roots, .nroots = 1};
    fs_use_scope(&scope);
    for (int round = 0; round < 2; round++) {
        expect(&t, OP_STAT, "good", NULL);
        expect(&t, OP_LIST, "good", NULL);
        expect(&t, OP_READ, "good/f", NULL);
        expect(&t, OP_STAT, "good/sub", NULL);
        expect(&t, OP_READ, "good/sub/g", NULL);
        /* a link out below folders checked already */
        expect(&t, OP_STAT, "good/sub/out", LINK_OUT);
        expect(&t, OP_LIST, "good/sub/out", LINK_OUT);
        expect(&t, OP_READ, "good/sub/out/f", THROUGH);
        expect(&t, OP_STAT, "good/sub/out/f", THROUGH);
        /* the folder linked out: by itself, with a trailing slash, and on the way */
        expect(&t, OP_STAT, "out", LINK_OUT);
        expect(&t, OP_LIST, "out", LINK_OUT);
        expect(&t, OP_STAT, "out/", THROUGH);
        expect(&t, OP_LIST, "out/", THROUGH);
        expect(&t, OP_READ, "out/f", THROUGH);
        expect(&t, OP_STAT, "out/f", THROUGH);
        expect(&t, OP_READ, "out/secret", THROUGH);
        /* the file linked out */
        expect(&t, OP_READ, "fileout", LINK_OUT);
        expect(&t, OP_STAT, "fileout", LINK_OUT);
        /* by name below the root, but ".." leads out */
        expect(&t, OP_READ, "good/../../outside/secret", THROUGH);
        expect(&t, OP_STAT, "good/../../outside", THROUGH);
        /* links inside are followed */
        expect(&t, OP_STAT, "in", NULL);
        expect(&t, OP_LIST, "in", NULL);
        expect(&t, OP_READ, "in/f", NULL);
        expect(&t, OP_READ, "filein", NULL);
        expect(&t, OP_STAT, "filein", NULL);
        /* a dangling link says why */
        expect(&t, OP_STAT, "dangling", "No such file or directory");
        expect(&t, OP_READ, "dangling", "No such file or directory");
        /* missing paths are missing, not refused */
        expect(&t, OP_STAT, "good/none", "No such file or directory");
        expect(&t, OP_READ, "good/none/f", "No such file or directory");
        expect(&t, OP_STAT, "good/f/x", "Not a directory");
    }
    /* what stat says of a link inside is its target's */
    struct fs_entry e, target;
    struct st_err err;
    char *p = xasprintf("%s/filein", t.root), *q = xasprintf("%s/good/f", t.root);
    assert_int_equal(fs_stat(p, &e, &err), 0);
    assert_int_equal(fs_stat(q, &target, &err), 0);
    assert_int_equal(e.size, 7);
    assert_false(e.is_dir);
    assert_true(e.id == target.id);
    free(p);
    free(q);
    p = xasprintf("%s/in", t.root);
    assert_int_equal(fs_stat(p, &e, &err), 0);
    assert_true(e.is_dir);
    free(p);
    fs_use_scope(NULL);
    tree_done(&t);
}

/* A folder let through under one scope (its link resolves inside that scope's roots) is checked
 * again under the next scope, whose roots do not hold its target. */
static void test_checked_folders_do_not_outlive_their_scope(void **unused)
{
    (void)unused;
    struct tree t;
    tree_make(&t);
    const char *both[] = {t.root, t.outside}, *one[] = {t.root};
    struct fs_scope wide = {.roots = both, .nroots = 2}, narrow = {.roots = one, .nroots = 1};
    for (int round = 0; round < 2; round++) {
        fs_use_scope(&wide);
        expect(&t, OP_STAT, "out", NULL);
        expect(&t, OP_READ, "out/f", NULL);
        expect(&t, OP_READ, "good/sub/out/f", NULL);
        fs_use_scope(&narrow);
        expect(&t, OP_READ, "out/f", THROUGH);
        expect(&t, OP_STAT, "out/f", THROUGH);
        expect(&t, OP_READ, "good/sub/out/f", THROUGH);
        expect(&t, OP_STAT, "out", LINK_OUT);
    }
    /* follow_links lets everything through; without a scope, reads follow links */
    struct fs_scope follow = {.roots = one, .nroots = 1, .follow_links = true};
    fs_use_scope(&follow);
    expect(&t, OP_READ, "out/secret", NULL);
    expect(&t, OP_STAT, "fileout", NULL);
    fs_use_scope(NULL);
    expect(&t, OP_READ, "out/f", NULL);
    tree_done(&t);
}

/* A folder checked in the scope, then replaced by a link out before the next scope: refused. */
static void test_folder_replaced_by_a_link_between_scopes(void **unused)
{
    (void)unused;
    struct tree t;
    tree_make(&t);
    const char *one[] = {t.root};
    struct fs_scope scope = {.roots = one, .nroots = 1};
    fs_use_scope(&scope);
    expect(&t, OP_STAT, "good/sub", NULL);
    expect(&t, OP_READ, "good/sub/g", NULL);
    fs_use_scope(NULL);
    char *sub = xasprintf("%s/good/sub", t.root), *moved = xasprintf("%s/good/sub.old", t.root);
    assert_int_equal(rename(sub, moved), 0);
    assert_int_equal(symlink(t.outside, sub), 0);
    write_str(t.outside, "g", "outside g\n");
    fs_use_scope(&scope);
    expect(&t, OP_READ, "good/sub/g", THROUGH);
    expect(&t, OP_STAT, "good/sub", LINK_OUT);
    expect(&t, OP_LIST, "good/sub", LINK_OUT);
    fs_use_scope(NULL);
    free(sub);
    free(moved);
    tree_done(&t);
}

/* Whether folder times are durable is kept by device for the pass: a folder on another device
 * (procfs, whose times never move) is asked of its own file system, whatever the folders on the
 * disk were answered, in the same scope or in the next one; a new pass asks again. */
static void test_durable_asked_by_device(void **unused)
{
    (void)unused;
    struct tree t;
    tree_make(&t);
    char *good = xasprintf("%s/good", t.root);
    const char *roots[] = {t.root, "/proc"};
    struct fs_scope scope = {.roots = roots, .nroots = 2};
    struct fs_entry e;
    struct st_err err;
    fs_forget_devices();
    for (int round = 0; round < 2; round++) {
        fs_use_scope(&scope);
        assert_int_equal(fs_stat(good, &e, &err), 0);
        assert_true(fs_dir_times_durable(good)); /* the scratch folder is on a disk or tmpfs */
        assert_int_equal(fs_stat(t.root, &e, &err), 0);
        assert_true(fs_dir_times_durable(t.root));
        assert_int_equal(fs_stat("/proc", &e, &err), 0);
        assert_true(e.is_dir);
        assert_false(fs_dir_times_durable("/proc"));
        assert_true(fs_dir_times_durable(good));
        fs_use_scope(NULL);
        /* the next scope: /proc asked first this time, from the device kept */
        fs_use_scope(&scope);
        assert_int_equal(fs_stat("/proc", &e, &err), 0);
        assert_false(fs_dir_times_durable("/proc"));
        assert_int_equal(fs_stat(good, &e, &err), 0);
        assert_true(fs_dir_times_durable(good));
        fs_use_scope(NULL);
        fs_forget_devices();
    }
    free(good);
    tree_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_out_refused_on_every_call),
        cmocka_unit_test(test_checked_folders_do_not_outlive_their_scope),
        cmocka_unit_test(test_folder_replaced_by_a_link_between_scopes),
        cmocka_unit_test(test_durable_asked_by_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
