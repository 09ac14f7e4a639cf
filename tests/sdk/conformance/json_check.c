/* A strict RFC 8259 syntax check (see json_check.h). */
#include "json_check.h"

#include <string.h>

typedef struct Parser {
  const char* p;
  const char* end;
  int depth;
} Parser;

static int ParseValue(Parser* s);

static void SkipSpace(Parser* s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
    ++s->p;
  }
}

static int Literal(Parser* s, const char* word) {
  size_t n = strlen(word);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return 0;
  s->p += n;
  return 1;
}

static int IsDigit(char c) { return c >= '0' && c <= '9'; }
static int IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int ParseString(Parser* s) {
  if (s->p >= s->end || *s->p != '"') return 0;
  ++s->p;
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') return 1;
    if (c < 0x20) return 0;
    if (c == '\\') {
      if (s->p >= s->end) return 0;
      char e = *s->p++;
      if (e == 'u') {
        for (int i = 0; i < 4; ++i) {
          if (s->p >= s->end || !IsHex(*s->p)) return 0;
          ++s->p;
        }
      } else if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
        return 0;
      }
    }
  }
  return 0;
}

static int ParseNumber(Parser* s) {
  if (s->p < s->end && *s->p == '-') ++s->p;
  if (s->p >= s->end) return 0;
  if (*s->p == '0') {
    ++s->p;
  } else if (IsDigit(*s->p)) {
    while (s->p < s->end && IsDigit(*s->p)) ++s->p;
  } else {
    return 0;
  }
  if (s->p < s->end && *s->p == '.') {
    ++s->p;
    if (s->p >= s->end || !IsDigit(*s->p)) return 0;
    while (s->p < s->end && IsDigit(*s->p)) ++s->p;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    ++s->p;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) ++s->p;
    if (s->p >= s->end || !IsDigit(*s->p)) return 0;
    while (s->p < s->end && IsDigit(*s->p)) ++s->p;
  }
  return 1;
}

/* Parses `open` members/elements `close`; objects want "key": value pairs. */
static int ParseContainer(Parser* s, char close, int is_object) {
  if (++s->depth > 256) return 0;
  ++s->p; /* the opening bracket */
  SkipSpace(s);
  if (s->p < s->end && *s->p == close) {
    ++s->p;
    --s->depth;
    return 1;
  }
  for (;;) {
    SkipSpace(s);
    if (is_object) {
      if (!ParseString(s)) return 0;
      SkipSpace(s);
      if (s->p >= s->end || *s->p != ':') return 0;
      ++s->p;
    }
    if (!ParseValue(s)) return 0;
    SkipSpace(s);
    if (s->p >= s->end) return 0;
    if (*s->p == ',') {
      ++s->p;
      continue;
    }
    if (*s->p != close) return 0;
    ++s->p;
    --s->depth;
    return 1;
  }
}

static int ParseValue(Parser* s) {
  SkipSpace(s);
  if (s->p >= s->end) return 0;
  switch (*s->p) {
    case '{':
      return ParseContainer(s, '}', 1);
    case '[':
      return ParseContainer(s, ']', 0);
    case '"':
      return ParseString(s);
    case 't':
      return Literal(s, "true");
    case 'f':
      return Literal(s, "false");
    case 'n':
      return Literal(s, "null");
    default:
      return ParseNumber(s);
  }
}

int JsonIsValid(const char* text, size_t len) {
  if (text == NULL) return 0;
  Parser s = {text, text + len, 0};
  if (!ParseValue(&s)) return 0;
  SkipSpace(&s);
  return s.p == s.end;
}

int JsonIsObject(const char* text, size_t len) {
  if (!JsonIsValid(text, len)) return 0;
  while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')) {
    ++text;
    --len;
  }
  return *text == '{';
}
