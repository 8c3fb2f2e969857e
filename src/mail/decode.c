#include "mail/decode.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')  /* RFC 2045 6.7 asks readers to accept */
		return c - 'a' + 10;
	return -1;
}

/* Decodes one line's content (no line ending) of quoted-printable.
   Returns true when the line ended with a soft line break. */
static bool qp_decode_line(const char *in, size_t len, bool header,
			   struct buf *out)
{
	if (!header) {
		/* RFC 2045 6.7 (3): trailing whitespace is padding. */
		while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
			len--;
	}
	bool soft = false;
	if (!header && len > 0 && in[len - 1] == '=') {
		soft = true;
		len--;
	}
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '_' && header) {
			buf_append(out, in + run, i - run);
			buf_append_char(out, ' ');
			run = i + 1;
		} else if (c == '=') {
			int hi = i + 1 < len ? hex_value((unsigned char)in[i + 1]) : -1;
			int lo = i + 2 < len ? hex_value((unsigned char)in[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				continue;  /* kept literally: lenient */
			buf_append(out, in + run, i - run);
			buf_append_char(out, (char)(hi << 4 | lo));
			i += 2;
			run = i + 1;
		}
	}
	buf_append(out, in + run, len - run);
	return soft;
}

void mail_qp_decode(const char *in, size_t len, bool header, struct buf *out)
{
	size_t pos = 0;
	while (pos < len) {
		const char *lf = memchr(in + pos, '\n', len - pos);
		size_t end = lf == NULL ? len : (size_t)(lf - in);
		size_t content = end;
		if (content > pos && in[content - 1] == '\r')
			content--;
		bool soft = qp_decode_line(in + pos, content - pos, header, out);
		if (lf != NULL && !soft)
			buf_append(out, in + content, end + 1 - content);
		pos = lf == NULL ? len : end + 1;
	}
}

static const signed char b64_table[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
	['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

void mail_base64_decode_lenient(const char *in, size_t len, struct buf *out)
{
	uint32_t acc = 0;
	unsigned int n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=')
			break;
		int v = b64_table[c] - 1;  /* table holds value + 1, 0 = invalid */
		if (v < 0)
			continue;  /* RFC 2045 6.8: ignore characters not in alphabet */
		acc = acc << 6 | (uint32_t)v;
		if (++n == 4) {
			char b[3] = { (char)(acc >> 16), (char)(acc >> 8), (char)acc };
			buf_append(out, b, 3);
			acc = 0;
			n = 0;
		}
	}
	if (n == 2) {
		buf_append_char(out, (char)(acc >> 4));
	} else if (n == 3) {
		char b[2] = { (char)(acc >> 10), (char)(acc >> 2) };
		buf_append(out, b, 2);
	}
}

static const char utf8_replacement[] = "\xEF\xBF\xBD";

/* Length of the valid UTF-8 sequence at s (RFC 3629 4), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;  /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	}
	return n;
}

static void utf8_copy_valid(const char *in, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t run = 0, i = 0;
	while (i < len) {
		size_t n = utf8_seq_len(s + i, len - i);
		if (n > 0) {
			i += n;
			continue;
		}
		buf_append(out, in + run, i - run);
		buf_append_str(out, utf8_replacement);
		i++;
		run = i;
	}
	buf_append(out, in + run, len - run);
}

static bool charset_is_utf8_compatible(const char *charset)
{
	return strcasecmp(charset, "utf-8") == 0 ||
	       strcasecmp(charset, "utf8") == 0 ||
	       strcasecmp(charset, "us-ascii") == 0 ||
	       strcasecmp(charset, "ascii") == 0;
}

int mail_charset_to_utf8(const char *charset, const char *in, size_t len,
			 struct buf *out)
{
	if (charset_is_utf8_compatible(charset)) {
		/* us-ascii labels on 8-bit text are usually UTF-8 in fact */
		utf8_copy_valid(in, len, out);
		return 0;
	}
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	char *inp = (char *)in;
	size_t inleft = len;
	while (inleft > 0) {
		buf_reserve(out, inleft * 2 + 16);
		char *outp = out->data + out->len;
		size_t outleft = out->cap - out->len - 1;
		size_t r = iconv(cd, &inp, &inleft, &outp, &outleft);
		out->len = (size_t)(outp - out->data);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL at the end: one bad byte, go on after it */
		buf_append_str(out, utf8_replacement);
		inp++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* flush any shift state (ISO-2022-JP ends in ASCII) */
	buf_reserve(out, 16);
	char *outp = out->data + out->len;
	size_t outleft = out->cap - out->len - 1;
	iconv(cd, NULL, NULL, &outp, &outleft);
	out->len = (size_t)(outp - out->data);
	out->data[out->len] = '\0';
	iconv_close(cd);
	return 0;
}

int mail_transfer_decode(const char *encoding, const char *in, size_t len,
			 struct buf *out)
{
	if (encoding == NULL || strcasecmp(encoding, "7bit") == 0 ||
	    strcasecmp(encoding, "8bit") == 0 ||
	    strcasecmp(encoding, "binary") == 0)
		buf_append(out, in, len);
	else if (strcasecmp(encoding, "base64") == 0)
		mail_base64_decode_lenient(in, len, out);
	else if (strcasecmp(encoding, "quoted-printable") == 0)
		mail_qp_decode(in, len, false, out);
	else
		return -1;
	return 0;
}

/* One parsed RFC 2047 encoded word: =?charset[*lang]?E?text?= */
struct encoded_word {
	char charset[64];
	char enc;
	const char *text;
	size_t text_len;
	size_t total_len;
};

static bool parse_encoded_word(const char *in, size_t len,
			       struct encoded_word *w_r)
{
	if (len < 8 || in[0] != '=' || in[1] != '?')
		return false;
	size_t i = 2, cs_start = 2;
	while (i < len && in[i] != '?' && in[i] != ' ' && in[i] != '\t')
		i++;
	if (i >= len || in[i] != '?' || i == cs_start)
		return false;
	size_t cs_len = i - cs_start;
	/* RFC 2231 5: "charset*language" */
	const char *star = memchr(in + cs_start, '*', cs_len);
	if (star != NULL)
		cs_len = (size_t)(star - (in + cs_start));
	if (cs_len == 0 || cs_len >= sizeof(w_r->charset))
		return false;
	if (i + 3 > len || in[i + 2] != '?')
		return false;
	char enc = in[i + 1];
	if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
		return false;
	size_t text_start = i + 3;
	const char *end = NULL;
	for (size_t j = text_start; j + 1 < len; j++) {
		if (in[j] == ' ' || in[j] == '\t' || in[j] == '\r' || in[j] == '\n')
			return false;
		if (in[j] == '?' && in[j + 1] == '=') {
			end = in + j;
			break;
		}
	}
	if (end == NULL)
		return false;
	memcpy(w_r->charset, in + cs_start, cs_len);
	w_r->charset[cs_len] = '\0';
	w_r->enc = (char)(enc | 0x20);
	w_r->text = in + text_start;
	w_r->text_len = (size_t)(end - w_r->text);
	w_r->total_len = (size_t)(end + 2 - in);
	return true;
}

/* Adjacent words are decoded into one byte run before conversion, so a
   multibyte character split across two words (common with B encoding)
   comes out whole. */
struct rfc2047_pending {
	char charset[64];
	struct buf bytes;
};

static void pending_flush(struct rfc2047_pending *p, struct buf *out)
{
	if (p->charset[0] == '\0')
		return;
	if (mail_charset_to_utf8(p->charset, p->bytes.data == NULL ? "" :
				 p->bytes.data, p->bytes.len, out) < 0)
		utf8_copy_valid(p->bytes.data == NULL ? "" : p->bytes.data,
				p->bytes.len, out);
	buf_reset(&p->bytes);
	p->charset[0] = '\0';
}

void mail_rfc2047_decode(const char *in, size_t len, struct buf *out)
{
	struct rfc2047_pending p = { .charset = "", .bytes = BUF_INIT };
	size_t pos = 0, run = 0;
	while (pos < len) {
		struct encoded_word w;
		if (in[pos] != '=' || !parse_encoded_word(in + pos, len - pos, &w)) {
			pos++;
			continue;
		}
		/* RFC 2047 6.2: whitespace between encoded words is dropped */
		bool only_ws = true;
		for (size_t i = run; i < pos && only_ws; i++)
			only_ws = memchr(" \t\r\n", in[i], 4) != NULL;
		bool after_word = p.charset[0] != '\0';
		if (!after_word || !only_ws) {
			pending_flush(&p, out);
			buf_append(out, in + run, pos - run);
		} else if (strcasecmp(p.charset, w.charset) != 0) {
			pending_flush(&p, out);
		}
		memcpy(p.charset, w.charset, sizeof(p.charset));
		if (w.enc == 'b')
			mail_base64_decode_lenient(w.text, w.text_len, &p.bytes);
		else
			mail_qp_decode(w.text, w.text_len, true, &p.bytes);
		pos += w.total_len;
		run = pos;
	}
	pending_flush(&p, out);
	buf_append(out, in + run, len - run);
	buf_free(&p.bytes);
}
