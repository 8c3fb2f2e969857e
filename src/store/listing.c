/*
 * store: building LIST results (store_mailbox_list) for both backends:
 * the backend reads the rows, these functions shape them (common.h).
 */
#include <stdlib.h>
#include <string.h>

#include "store/common.h"

void store_list_add(struct store_mailbox_list *list, size_t *cap,
		    const char *name, int64_t id, uint32_t attrs)
{
	if (list->count == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		list->entries = xrealloc(list->entries,
					 *cap * sizeof(*list->entries));
	}
	struct store_mailbox_entry *e = &list->entries[list->count++];
	e->name = xstrdup(name);
	e->id = id;
	e->attrs = attrs;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct store_mailbox_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Entries are sorted bytewise, so the names that start with an entry's name
 * directly follow it; HASCHILDREN looks there for "name/..." that exists. */
static void mark_children(struct store_mailbox_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *name = list->entries[i].name;
		size_t len = strlen(name);
		for (size_t j = i + 1; j < list->count; j++) {
			const char *other = list->entries[j].name;
			if (strncmp(other, name, len) != 0)
				break;
			if (other[len] == '/' && list->entries[j].id != 0) {
				list->entries[i].attrs |= STORE_MBOX_HASCHILDREN;
				break;
			}
		}
	}
}

void store_list_merge(struct store_mailbox_list *found,
		      const char *const *subs, size_t sub_count,
		      struct store_mailbox_list *list)
{
	size_t cap = 0, k = 0;

	if (found->count > 1)
		qsort(found->entries, found->count, sizeof(*found->entries),
		      entry_cmp);
	/* subscriptions to names that do not exist come in between */
	for (size_t i = 0; i < found->count; i++) {
		struct store_mailbox_entry *e = &found->entries[i];
		for (; k < sub_count && strcmp(subs[k], e->name) < 0; k++)
			store_list_add(list, &cap, subs[k], 0,
				       STORE_MBOX_SUBSCRIBED |
				       STORE_MBOX_NONEXISTENT);
		if (k < sub_count && strcmp(subs[k], e->name) == 0) {
			e->attrs |= STORE_MBOX_SUBSCRIBED;
			k++;
		}
		store_list_add(list, &cap, e->name, e->id, e->attrs);
	}
	for (; k < sub_count; k++)
		store_list_add(list, &cap, subs[k], 0,
			       STORE_MBOX_SUBSCRIBED | STORE_MBOX_NONEXISTENT);
	mark_children(list);
}

void store_mailbox_list_free(struct store_mailbox_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->entries[i].name);
	free(list->entries);
	list->entries = NULL;
	list->count = 0;
}
