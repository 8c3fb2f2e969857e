/*
 * Deterministic generated mail. The same (kind, seed, index) always gives
 * the same bytes, so Quire and Dovecot are loaded with identical mailboxes
 * and SEARCH results can be checked against counts known in advance.
 */
#include "lg.h"

#include <string.h>
#include <strings.h>
#include <time.h>

/* No word here contains a planted search word or a prefix of one. */
static const char *const words[] = {
	"the", "meeting", "report", "budget", "project", "schedule", "review",
	"team", "quarter", "update", "draft", "please", "attached", "thanks",
	"regards", "tomorrow", "friday", "monday", "office", "client", "server",
	"release", "version", "notes", "summary", "question", "answer", "call",
	"agenda", "minutes", "invoice", "order", "shipping", "delivery", "price",
	"offer", "contract", "signed", "legal", "travel", "hotel", "flight",
	"booking", "lunch", "dinner", "coffee", "weekend", "holiday", "vacation",
	"family", "garden", "weather", "rain", "sunny", "morning", "evening",
	"design", "mockup", "feedback", "change", "request", "ticket", "issue",
	"bug", "fix", "test", "build", "deploy", "backup", "restore", "database",
	"network", "router", "printer", "laptop", "phone", "number", "address",
	"street", "city", "country", "north", "south", "river", "mountain",
	"forest", "ocean", "island", "bridge", "tower", "castle", "library",
	"museum", "concert", "ticket", "movie", "book", "chapter", "story",
	"history", "science", "nature", "planet", "rocket", "orbit", "signal",
	"and", "with", "for", "from", "about", "after", "before", "while", "into",
	"green", "blue", "orange", "yellow", "silver", "golden", "quiet", "rapid",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const names[] = {
	"Alice Martin", "Bob Lee", "Carol Nguyen", "Dave Schmidt", "Eve Dubois",
	"Frank Rossi", "Grace Kim", "Heidi Novak", "Ivan Petrov", "Judy Smith",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void add_words(struct gbuf *b, uint64_t *rng, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			gbuf_adds(b, " ");
		gbuf_adds(b, words[rng_below(rng, NWORDS)]);
	}
}

/* Text lines of about `bytes` bytes, each under 78 characters. */
static void add_text(struct gbuf *b, uint64_t *rng, size_t bytes)
{
	size_t start = b->len;
	while (b->len - start < bytes) {
		size_t line = b->len;
		while (b->len - line < 60) {
			if (b->len > line)
				gbuf_adds(b, " ");
			gbuf_adds(b, words[rng_below(rng, NWORDS)]);
		}
		gbuf_adds(b, "\r\n");
	}
}

static void add_base64(struct gbuf *b, uint64_t *rng, size_t bytes)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* Random bytes encode to random characters; 76 per line. */
	size_t chars = (bytes + 2) / 3 * 4;
	for (size_t i = 0; i < chars; i++) {
		char c = tbl[rng_below(rng, 64)];
		gbuf_add(b, &c, 1);
		if (i % 76 == 75 || i + 1 == chars)
			gbuf_adds(b, "\r\n");
	}
}

static void addr(struct gbuf *b, unsigned who)
{
	const char *name = names[who % NNAMES];
	char local[32];
	size_t j = 0;
	for (const char *p = name; *p && j + 1 < sizeof(local); p++)
		local[j++] = *p == ' ' ? '.' : (char)(*p | 0x20);
	local[j] = '\0';
	gbuf_printf(b, "\"%s\" <%s@example.%s>", name, local,
		    who % 3 == 0 ? "org" : "com");
}

static void date_of(uint32_t index, char hdr[64], char idate[32])
{
	/* One message every 7 minutes from 2024-01-01 on. */
	time_t t = (time_t)1704067200 + (time_t)index * 420;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(hdr, 64, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(idate, 32, "%d-%b-%Y %H:%M:%S +0000", &tm);
}

static void headers(struct gbuf *b, uint64_t *rng, uint32_t index,
		    const char *date, const char *subject_extra)
{
	unsigned from = rng_below(rng, NNAMES), to = rng_below(rng, NNAMES);
	gbuf_printf(b, "Return-Path: <sender%u@example.com>\r\n", from);
	gbuf_printf(b, "Received: from mx%u.example.com (mx%u.example.com "
		    "[192.0.2.%u])\r\n\tby mail.example.org with ESMTPS id "
		    "%08x\r\n\tfor <rcpt@example.org>; %s\r\n",
		    index % 7, index % 7, index % 250 + 1,
		    (unsigned)rng_next(rng), date);
	gbuf_adds(b, "From: ");
	addr(b, from);
	gbuf_adds(b, "\r\nTo: ");
	addr(b, to);
	gbuf_adds(b, "\r\nSubject: ");
	add_words(b, rng, 3 + rng_below(rng, 5));
	if (subject_extra)
		gbuf_printf(b, " %s", subject_extra);
	gbuf_printf(b, "\r\nDate: %s\r\nMessage-ID: <%u.%08x@example.com>\r\n",
		    date, index, (unsigned)rng_next(rng));
}

static void gen_small(struct gbuf *b, uint64_t *rng, uint32_t index,
		      const char *date, size_t body)
{
	headers(b, rng, index, date, NULL);
	gbuf_adds(b, "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	add_text(b, rng, body);
}

static void gen_search(struct gbuf *b, uint64_t *rng, uint32_t index,
		       const char *date)
{
	/* Body plants: BODY word in index%100==7, phrase in index%250==3.
	 * Header plants (TEXT sees them, BODY must not): word in
	 * index%100==50, phrase in index%250==100. Decoys put the two words
	 * of the phrase apart in index%250==50. */
	const char *subj = NULL;
	if (index % 100 == 50 && index % 250 == 100)
		subj = "Zebrafish Purple Elephant";
	else if (index % 100 == 50)
		subj = "Zebrafish";
	else if (index % 250 == 100)
		subj = "Purple Elephant";
	headers(b, rng, index, date, subj);
	gbuf_adds(b, "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	add_text(b, rng, 400 + rng_below(rng, 1600));
	if (index % 100 == 7)
		gbuf_adds(b, index % 200 == 7 ? "we saw a ZebraFish today\r\n"
					       : "the zebrafish study\r\n");
	if (index % 250 == 3)
		gbuf_adds(b, "a purple elephant walked by\r\n");
	if (index % 250 == 50)
		gbuf_adds(b, "purple shoes and an elephant\r\n");
	add_text(b, rng, 200);
}

uint32_t msg_search_body_expected(uint32_t n)
{
	return n / 100 + (n % 100 > 7 ? 1 : 0);
}

uint32_t msg_search_text_expected(uint32_t n)
{
	return n / 250 * 2 + (n % 250 > 3 ? 1 : 0) + (n % 250 > 100 ? 1 : 0);
}

static void part_text(struct gbuf *b, uint64_t *rng, size_t n)
{
	gbuf_adds(b, "Content-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: 7bit\r\n\r\n");
	add_text(b, rng, n);
}

static void part_html(struct gbuf *b, uint64_t *rng, size_t n)
{
	gbuf_adds(b, "Content-Type: text/html; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		     "<html><body><p style=3D\"margin:0\">\r\n");
	add_text(b, rng, n);
	gbuf_adds(b, "</p></body></html>\r\n");
}

static void part_attachment(struct gbuf *b, uint64_t *rng, const char *type,
			    const char *disp_params, size_t n)
{
	gbuf_printf(b, "Content-Type: %s\r\n"
		       "Content-Transfer-Encoding: base64\r\n"
		       "Content-Disposition: attachment;%s\r\n\r\n",
		    type, disp_params);
	add_base64(b, rng, n);
}

static void gen_alternative(struct gbuf *b, uint64_t *rng, const char *bnd)
{
	gbuf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
		       "\r\n--%s\r\n", bnd, bnd);
	part_text(b, rng, 300 + rng_below(rng, 700));
	gbuf_printf(b, "--%s\r\n", bnd);
	part_html(b, rng, 300 + rng_below(rng, 700));
	gbuf_printf(b, "--%s--\r\n", bnd);
}

static void gen_varied(struct gbuf *b, uint64_t *rng, uint32_t index,
		       const char *date)
{
	char bnd[48], bnd2[48];
	snprintf(bnd, sizeof(bnd), "=_b1_%u_%08x", index,
		 (unsigned)rng_next(rng));
	snprintf(bnd2, sizeof(bnd2), "=_b2_%u_%08x", index,
		 (unsigned)rng_next(rng));
	switch (index % 8) {
	case 0:
		gen_small(b, rng, index, date, 200 + rng_below(rng, 3000));
		return;
	case 4:
		/* Encoded-word subject, several recipients, QP body. */
		gbuf_printf(b, "From: =?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= "
			       "<jose@example.es>\r\n"
			       "To: \"Alice Martin\" <alice.martin@example.org>, "
			       "bob.lee@example.com,\r\n carol@example.com\r\n"
			       "Cc: \"Dave\" <dave@example.com>\r\n"
			       "Subject: =?UTF-8?B?w4ljaMOpYW5jaWVy?= %u\r\n"
			       "Date: %s\r\nMessage-ID: <qp%u@example.es>\r\n"
			       "MIME-Version: 1.0\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
			       "Bonjour =C3=A0 tous,\r\n", index, date, index);
		add_text(b, rng, 500 + rng_below(rng, 1500));
		return;
	case 6:
		/* Group syntax, Reply-To, threading headers. */
		gbuf_printf(b, "From: \"Lists\" <list@example.net>\r\n"
			       "To: undisclosed-recipients:;\r\n"
			       "Reply-To: list@example.net\r\n"
			       "Subject: Re: weekly notes %u\r\n"
			       "In-Reply-To: <%u.parent@example.net>\r\n"
			       "References: <%u.root@example.net> "
			       "<%u.parent@example.net>\r\n"
			       "Date: %s\r\nMessage-ID: <g%u@example.net>\r\n\r\n",
			    index, index, index, index, date, index);
		add_text(b, rng, 300 + rng_below(rng, 1000));
		return;
	default:
		break;
	}
	headers(b, rng, index, date, NULL);
	gbuf_adds(b, "MIME-Version: 1.0\r\n");
	switch (index % 8) {
	case 1:
		gen_alternative(b, rng, bnd);
		break;
	case 2:
		gbuf_printf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
			       "\r\nThis is a multi-part message in MIME format.\r\n"
			       "--%s\r\n", bnd, bnd);
		part_text(b, rng, 200 + rng_below(rng, 800));
		gbuf_printf(b, "--%s\r\n", bnd);
		part_attachment(b, rng, "application/pdf; name=\"report.pdf\"",
				" filename=\"report.pdf\"",
				2000 + rng_below(rng, 6000));
		gbuf_printf(b, "--%s--\r\n", bnd);
		break;
	case 3:
		/* A forwarded message, itself multipart/alternative. */
		gbuf_printf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
			       "\r\n--%s\r\n", bnd, bnd);
		part_text(b, rng, 100 + rng_below(rng, 300));
		gbuf_printf(b, "--%s\r\nContent-Type: message/rfc822\r\n"
			       "Content-Disposition: inline\r\n\r\n", bnd);
		headers(b, rng, index + 1000000, date, "(forwarded)");
		gbuf_adds(b, "MIME-Version: 1.0\r\n");
		gen_alternative(b, rng, bnd2);
		gbuf_printf(b, "--%s--\r\n", bnd);
		break;
	case 5:
		gbuf_printf(b, "Content-Type: multipart/related; "
			       "type=\"text/html\"; boundary=\"%s\"\r\n"
			       "\r\n--%s\r\n", bnd, bnd);
		part_html(b, rng, 400 + rng_below(rng, 800));
		gbuf_printf(b, "--%s\r\nContent-Type: image/png\r\n"
			       "Content-ID: <img%u@example.com>\r\n"
			       "Content-Transfer-Encoding: base64\r\n"
			       "Content-Disposition: inline; filename=\"logo.png\"\r\n"
			       "\r\n", bnd, index);
		add_base64(b, rng, 1000 + rng_below(rng, 3000));
		gbuf_printf(b, "--%s--\r\n", bnd);
		break;
	default: /* 7 */
		gbuf_printf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
			       "\r\n--%s\r\n", bnd, bnd);
		part_text(b, rng, 200 + rng_below(rng, 500));
		gbuf_printf(b, "--%s\r\n", bnd);
		part_attachment(b, rng, "text/csv; charset=us-ascii",
				"\r\n filename*0*=utf-8''r%C3%A9sum%C3%A9;"
				"\r\n filename*1=\"-2024.csv\"",
				500 + rng_below(rng, 1500));
		gbuf_printf(b, "--%s\r\n", bnd);
		part_attachment(b, rng, "application/zip; name=\"data.zip\"",
				" filename=\"data.zip\"",
				1000 + rng_below(rng, 4000));
		gbuf_printf(b, "--%s--\r\n", bnd);
		break;
	}
}

void msg_generate(struct gbuf *out, enum msg_kind kind, uint64_t seed,
		  uint32_t index, char internal_date_r[32])
{
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + index + 1;
	rng_next(&rng);
	char date[64];
	date_of(index, date, internal_date_r);
	switch (kind) {
	case MSG_SMALL:
		gen_small(out, &rng, index, date, 150 + rng_below(&rng, 300));
		break;
	case MSG_10K: {
		size_t start = out->len;
		headers(out, &rng, index, date, NULL);
		gbuf_adds(out, "Content-Type: text/plain\r\n\r\n");
		add_text(out, &rng, 10240 - 80 - (out->len - start));
		break;
	}
	case MSG_SEARCH:
		gen_search(out, &rng, index, date);
		break;
	case MSG_VARIED:
		gen_varied(out, &rng, index, date);
		break;
	}
}

int msg_kind_parse(const char *s, enum msg_kind *kind_r)
{
	static const struct {
		const char *name;
		enum msg_kind kind;
	} kinds[] = {
		{ "small", MSG_SMALL },
		{ "varied", MSG_VARIED },
		{ "search", MSG_SEARCH },
		{ "10k", MSG_10K },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcasecmp(s, kinds[i].name) == 0) {
			*kind_r = kinds[i].kind;
			return 0;
		}
	}
	return -1;
}
