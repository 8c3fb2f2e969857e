/*
 * THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 3), and the
 * THREAD response syntax (RFC 5256 4: a node with one child continues its
 * list, a node with several opens one list per child).
 */
#include "imap/sort.h"

#include <stdlib.h>
#include <string.h>

struct tnode {
	struct sort_msg *msg;		/* NULL for a dummy */
	struct tnode *parent;
	struct tnode **kids;
	size_t nkids, cap;
};

static void kid_add(struct tnode *parent, struct tnode *kid)
{
	if (parent->nkids == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = xrealloc(parent->kids, parent->cap * sizeof(*parent->kids));
	}
	parent->kids[parent->nkids++] = kid;
	kid->parent = parent;
}

static void kid_remove(struct tnode *kid)
{
	struct tnode *parent = kid->parent;
	if (parent == NULL)
		return;
	for (size_t i = 0; i < parent->nkids; i++) {
		if (parent->kids[i] == kid) {
			memmove(&parent->kids[i], &parent->kids[i + 1],
				(parent->nkids - i - 1) * sizeof(*parent->kids));
			parent->nkids--;
			break;
		}
	}
	kid->parent = NULL;
}

/* True when a is b or one of b's descendants: linking a as b's parent
 * would close a loop. */
static bool is_descendant(const struct tnode *a, const struct tnode *b)
{
	for (; a != NULL; a = a->parent) {
		if (a == b)
			return true;
	}
	return false;
}

/* ---- output ---- */

static uint32_t node_num(const struct tnode *n, bool uid)
{
	return uid ? n->msg->uid : n->msg->seq;
}

static void write_node(const struct tnode *n, bool uid, struct buf *out)
{
	/* One child continues the list: "(1 2 3)". */
	while (n->msg != NULL && n->nkids == 1) {
		buf_printf(out, "%u ", node_num(n, uid));
		n = n->kids[0];
	}
	if (n->msg != NULL) {
		buf_printf(out, "%u", node_num(n, uid));
		if (n->nkids > 0)
			buf_append_char(out, ' ');
	}
	for (size_t i = 0; i < n->nkids; i++) {
		buf_append_char(out, '(');
		write_node(n->kids[i], uid, out);
		buf_append_char(out, ')');
	}
}

static void write_threads(const struct tnode *root, bool uid, struct buf *out)
{
	for (size_t i = 0; i < root->nkids; i++) {
		buf_append_char(out, '(');
		write_node(root->kids[i], uid, out);
		buf_append_char(out, ')');
	}
}

static void free_nodes(struct tnode **nodes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(nodes[i]->kids);
		free(nodes[i]);
	}
	free(nodes);
}

/* ---- dates ---- */

static int cmp_sent(const struct sort_msg *a, const struct sort_msg *b)
{
	if (a->sent != b->sent)
		return a->sent < b->sent ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The message a node sorts by: a dummy uses its first child (RFC 5256
 * REFERENCES steps 4 and 6). */
static const struct sort_msg *sort_msg_of(const struct tnode *n)
{
	while (n->msg == NULL && n->nkids > 0)
		n = n->kids[0];
	return n->msg;
}

static int cmp_nodes(const void *x, const void *y)
{
	const struct sort_msg *a = sort_msg_of(*(struct tnode *const *)x);
	const struct sort_msg *b = sort_msg_of(*(struct tnode *const *)y);
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return cmp_sent(a, b);
}

/* Step 6: children before parents, so a dummy's first child is final
 * before the dummy is placed. */
static void sort_tree(struct tnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		sort_tree(n->kids[i]);
	if (n->nkids > 1)
		qsort(n->kids, n->nkids, sizeof(*n->kids), cmp_nodes);
}

/* ---- ORDEREDSUBJECT ---- */

static int cmp_subject_date(const void *x, const void *y)
{
	const struct sort_msg *a = x, *b = y;
	int r = sort_casemap_cmp(a->subject, b->subject);
	return r != 0 ? r : cmp_sent(a, b);
}

void thread_orderedsubject(struct sort_msg *msgs, size_t count, bool uid,
			   struct buf *out)
{
	struct tnode root = { 0 };
	struct tnode **nodes = xcalloc(count + 1, sizeof(*nodes));

	if (count > 1)
		qsort(msgs, count, sizeof(*msgs), cmp_subject_date);
	struct tnode *head = NULL;
	for (size_t i = 0; i < count; i++) {
		struct tnode *n = nodes[i] = xcalloc(1, sizeof(*n));
		n->msg = &msgs[i];
		if (head != NULL && sort_casemap_cmp(head->msg->subject, msgs[i].subject) == 0) {
			kid_add(head, n);	/* no grandchildren */
		} else {
			head = n;
			kid_add(&root, n);
		}
	}
	if (root.nkids > 1)
		qsort(root.kids, root.nkids, sizeof(*root.kids), cmp_nodes);
	write_threads(&root, uid, out);
	free(root.kids);
	free_nodes(nodes, count);
}

/* ---- REFERENCES ---- */

struct id_table {
	const char **keys;
	struct tnode **vals;
	size_t cap, count;
};

static size_t hash_str(const char *s)
{
	size_t h = 5381;
	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The slot of key (empty when absent); the table is never full. */
static size_t id_slot(const struct id_table *t, const char *key)
{
	size_t i = hash_str(key) & (t->cap - 1);
	while (t->keys[i] != NULL && strcmp(t->keys[i], key) != 0)
		i = (i + 1) & (t->cap - 1);
	return i;
}

struct ref_ctx {
	struct id_table ids;
	struct tnode **nodes;
	size_t node_count, node_cap;
};

static struct tnode *new_node(struct ref_ctx *ctx, struct sort_msg *msg)
{
	if (ctx->node_count == ctx->node_cap) {
		ctx->node_cap = ctx->node_cap ? ctx->node_cap * 2 : 64;
		ctx->nodes = xrealloc(ctx->nodes, ctx->node_cap * sizeof(*ctx->nodes));
	}
	struct tnode *n = xcalloc(1, sizeof(*n));
	n->msg = msg;
	ctx->nodes[ctx->node_count++] = n;
	return n;
}

/* The node of a Message ID, a new dummy when none exists yet. */
static struct tnode *id_node(struct ref_ctx *ctx, const char *id)
{
	size_t slot = id_slot(&ctx->ids, id);
	if (ctx->ids.keys[slot] == NULL) {
		ctx->ids.keys[slot] = id;
		ctx->ids.vals[slot] = new_node(ctx, NULL);
		ctx->ids.count++;
	}
	return ctx->ids.vals[slot];
}

/* Step 1 for one message. */
static void link_message(struct ref_ctx *ctx, struct sort_msg *m)
{
	struct tnode *self = NULL;
	if (m->message_id != NULL) {
		struct tnode *n = id_node(ctx, m->message_id);
		if (n->msg == NULL) {
			n->msg = m;
			self = n;
		}
	}
	/* No Message-ID, or a duplicate: a unique one of its own. */
	if (self == NULL)
		self = new_node(ctx, m);

	char **refs = m->references;
	size_t nrefs = m->reference_count;
	if (nrefs == 0 && m->in_reply_to != NULL) {
		refs = &m->in_reply_to;
		nrefs = 1;
	}
	/* (A): chain the references, keeping existing parents, no loops. */
	for (size_t i = 0; i + 1 < nrefs; i++) {
		struct tnode *parent = id_node(ctx, refs[i]);
		struct tnode *child = id_node(ctx, refs[i + 1]);
		if (child->parent == NULL && !is_descendant(parent, child))
			kid_add(parent, child);
	}
	/* (B): the last reference is the parent, replacing any other. */
	if (nrefs > 0) {
		struct tnode *parent = id_node(ctx, refs[nrefs - 1]);
		if (!is_descendant(parent, self)) {
			kid_remove(self);
			kid_add(parent, self);
		}
	} else {
		kid_remove(self);
	}
}

/* Step 3 on the kids of n (root when at_root). */
static void prune(struct tnode *n, bool at_root)
{
	size_t i = 0;
	while (i < n->nkids) {
		struct tnode *k = n->kids[i];
		if (k->msg != NULL || (at_root && k->nkids > 1)) {
			prune(k, false);
			i++;
			continue;
		}
		/* A dummy: drop it, its kids take its place (and are looked
		 * at next, since they may be dummies too). */
		size_t nk = k->nkids;
		struct tnode **kids = k->kids;
		memmove(&n->kids[i], &n->kids[i + 1], (n->nkids - i - 1) * sizeof(*n->kids));
		n->nkids--;
		k->parent = NULL;
		k->kids = NULL;
		k->nkids = k->cap = 0;
		for (size_t j = 0; j < nk; j++)
			kid_add(n, kids[j]);
		/* Appended at the end: move them to position i. */
		if (nk > 0) {
			struct tnode **tmp = xmalloc(nk * sizeof(*tmp));
			memcpy(tmp, &n->kids[n->nkids - nk], nk * sizeof(*tmp));
			memmove(&n->kids[i + nk], &n->kids[i],
				(n->nkids - nk - i) * sizeof(*n->kids));
			memcpy(&n->kids[i], tmp, nk * sizeof(*tmp));
			free(tmp);
		}
		free(kids);
	}
}

/* The thread subject of a root child (step 5.B.i), "" when none. */
static const char *thread_subject(const struct tnode *n)
{
	if (n->msg == NULL)
		n = n->nkids > 0 ? n->kids[0] : n;
	return n->msg != NULL ? n->msg->subject : "";
}

/* Step 5, with a subject table keyed by the uppercased base subject. */
static void merge_subjects(struct ref_ctx *ctx, struct tnode *root)
{
	size_t cap = 16;
	while (cap < root->nkids * 2 + 2)
		cap *= 2;
	char **keys = xcalloc(cap, sizeof(*keys));
	struct tnode **vals = xcalloc(cap, sizeof(*vals));
	struct id_table table = { (const char **)keys, vals, cap, 0 };
	char **owned = xcalloc(root->nkids + 1, sizeof(*owned));

	for (size_t i = 0; i < root->nkids; i++) {
		const char *subj = thread_subject(root->kids[i]);
		owned[i] = xstrdup(subj);
		for (char *p = owned[i]; *p != '\0'; p++) {
			if (*p >= 'a' && *p <= 'z')
				*p -= 32;
		}
	}
	/* (B) one message per subject. */
	for (size_t i = 0; i < root->nkids; i++) {
		struct tnode *cur = root->kids[i];
		if (owned[i][0] == '\0')
			continue;
		size_t slot = id_slot(&table, owned[i]);
		if (table.keys[slot] == NULL) {
			table.keys[slot] = owned[i];
			table.vals[slot] = cur;
			continue;
		}
		struct tnode *old = table.vals[slot];
		if (old->msg != NULL &&
		    (cur->msg == NULL || (old->msg->is_reply && !cur->msg->is_reply)))
			table.vals[slot] = cur;
	}
	/* (C) merge. Children of root may be removed as we go. */
	size_t k;
	size_t total = root->nkids;
	struct tnode **snapshot = xmalloc((total + 1) * sizeof(*snapshot));
	if (total > 0)
		memcpy(snapshot, root->kids, total * sizeof(*snapshot));
	for (k = 0; k < total; k++) {
		struct tnode *cur = snapshot[k];
		if (owned[k][0] == '\0' || cur->parent != root)
			continue;
		size_t slot = id_slot(&table, owned[k]);
		struct tnode *old = table.vals[slot];
		if (old == cur)
			continue;
		if (old->msg == NULL && cur->msg == NULL) {
			kid_remove(cur);
			for (size_t j = 0; j < cur->nkids; j++)
				kid_add(old, cur->kids[j]);
			cur->nkids = 0;
		} else if (old->msg == NULL && cur->msg != NULL) {
			kid_remove(cur);
			kid_add(old, cur);
		} else if (cur->msg != NULL && cur->msg->is_reply &&
			   (old->msg == NULL || !old->msg->is_reply)) {
			kid_remove(cur);
			kid_add(old, cur);
		} else {
			struct tnode *dummy = new_node(ctx, NULL);
			/* Root order is redone by step 6, so appending is fine. */
			kid_remove(cur);
			kid_remove(old);
			kid_add(dummy, old);
			kid_add(dummy, cur);
			kid_add(root, dummy);
			table.vals[slot] = dummy;
		}
	}
	free(snapshot);
	for (size_t j = 0; j < total; j++)
		free(owned[j]);
	free(owned);
	free(keys);
	free(vals);
}

void thread_references(struct sort_msg *msgs, size_t count, bool uid,
		       struct buf *out)
{
	struct ref_ctx ctx = { 0 };
	size_t cap = 16;
	size_t ids = count;
	for (size_t i = 0; i < count; i++)
		ids += msgs[i].reference_count + 1;
	while (cap < ids * 2)
		cap *= 2;
	ctx.ids.cap = cap;
	ctx.ids.keys = xcalloc(cap, sizeof(*ctx.ids.keys));
	ctx.ids.vals = xcalloc(cap, sizeof(*ctx.ids.vals));

	/* Messages arrive in sequence order: "first" for duplicate IDs is
	 * the lowest sequence number. */
	for (size_t i = 0; i < count; i++)
		link_message(&ctx, &msgs[i]);
	/* Step 2. */
	struct tnode root = { 0 };
	for (size_t i = 0; i < ctx.node_count; i++) {
		if (ctx.nodes[i]->parent == NULL)
			kid_add(&root, ctx.nodes[i]);
	}
	prune(&root, true);
	/* Step 4: sort the root set (dummies by their sorted first child). */
	for (size_t i = 0; i < root.nkids; i++) {
		struct tnode *n = root.kids[i];
		if (n->msg == NULL && n->nkids > 1)
			qsort(n->kids, n->nkids, sizeof(*n->kids), cmp_nodes);
	}
	if (root.nkids > 1)
		qsort(root.kids, root.nkids, sizeof(*root.kids), cmp_nodes);
	merge_subjects(&ctx, &root);
	sort_tree(&root);
	write_threads(&root, uid, out);
	free(root.kids);
	free_nodes(ctx.nodes, ctx.node_count);
	free(ctx.ids.keys);
	free(ctx.ids.vals);
}
