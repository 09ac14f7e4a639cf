// The label selector lexer and recursive-descent parser, following upstream's grammar, token
// rules and error messages (k8s.io/apimachinery/pkg/labels). Header: label_selector.h.
#include <string>
#include <string_view>
#include <vector>

#include "core/selector/label_selector.h"
#include "core/selector/label_validation.h"

namespace capstan::selector {
namespace {

enum class Token : uint8_t {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,  // `!`
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok;
  std::string literal;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecial(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// The operator tokens; "in"/"notin" are keywords found among identifiers.
Token SymbolToken(std::string_view s) {
  if (s == ")") return Token::kClosedPar;
  if (s == ",") return Token::kComma;
  if (s == "!") return Token::kDoesNotExist;
  if (s == "==") return Token::kDoubleEquals;
  if (s == "=") return Token::kEquals;
  if (s == ">") return Token::kGreaterThan;
  if (s == "<") return Token::kLessThan;
  if (s == "!=") return Token::kNotEquals;
  if (s == "(") return Token::kOpenPar;
  return Token::kError;
}

std::vector<Item> Lex(std::string_view s) {
  std::vector<Item> items;
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && IsWhitespace(s[pos])) ++pos;
    if (pos >= s.size()) {
      items.push_back({Token::kEnd, ""});
      return items;
    }
    if (IsSpecial(s[pos])) {
      // Longest run of special characters that still forms a known symbol.
      std::string buffer;
      Item last{Token::kError, ""};
      while (pos < s.size() && IsSpecial(s[pos])) {
        buffer += s[pos];
        Token t = SymbolToken(buffer);
        if (t != Token::kError) {
          last = {t, buffer};
        } else if (last.tok != Token::kError) {
          break;
        }
        ++pos;
      }
      if (last.tok == Token::kError) {
        items.push_back({Token::kError, "error expected: keyword found '" + buffer + "'"});
      } else {
        items.push_back(std::move(last));
      }
      continue;
    }
    size_t start = pos;
    while (pos < s.size() && !IsSpecial(s[pos]) && !IsWhitespace(s[pos])) ++pos;
    std::string word(s.substr(start, pos - start));
    Token t = word == "in" ? Token::kIn : word == "notin" ? Token::kNotIn : Token::kIdentifier;
    items.push_back({t, std::move(word)});
  }
}

}  // namespace

// Friend of Requirement and LabelSelector so it can build them from validated pieces.
class Parser {
 public:
  explicit Parser(std::string_view text) : items_(Lex(text)) {}

  Result<LabelSelector> Parse() {
    std::vector<Requirement> reqs;
    while (true) {
      const Item& next = Peek(kValues);
      Token tok = Map(next.tok, kValues);
      if (tok == Token::kIdentifier || tok == Token::kDoesNotExist) {
        Result<Requirement> r = ParseRequirement();
        if (!r.ok()) {
          return BadRequestError("unable to parse requirement: " + r.status().message());
        }
        reqs.push_back(std::move(r).value());
        const Item& after = Consume();
        Token t = Map(after.tok, kValues);
        if (t == Token::kEnd) return LabelSelector(std::move(reqs));
        if (t == Token::kComma) {
          const Item& ahead = Peek(kValues);
          Token t2 = Map(ahead.tok, kValues);
          if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
            return BadRequestError("found '" + ahead.literal + "', expected: identifier after ','");
          }
          continue;
        }
        return BadRequestError("found '" + after.literal + "', expected: ',' or 'end of string'");
      }
      if (tok == Token::kEnd) return LabelSelector(std::move(reqs));
      return BadRequestError("found '" + next.literal +
                             "', expected: !, identifier, or 'end of string'");
    }
  }

 private:
  // In value position the keywords `in`/`notin` are ordinary identifiers.
  enum Context { kKeyAndOperator, kValues };

  static Token Map(Token t, Context c) {
    if (c == kValues && (t == Token::kIn || t == Token::kNotIn)) return Token::kIdentifier;
    return t;
  }
  const Item& Peek(Context) const { return items_[pos_]; }
  const Item& Consume() {
    const Item& it = items_[pos_];
    if (pos_ + 1 < items_.size()) ++pos_;  // the trailing kEnd is sticky
    return it;
  }

  Result<Requirement> ParseRequirement() {
    bool does_not_exist = false;
    const Item* key = &Consume();
    if (key->tok == Token::kDoesNotExist) {
      does_not_exist = true;
      key = &Consume();
    }
    if (Map(key->tok, kValues) != Token::kIdentifier) {
      return BadRequestError("found '" + key->literal + "', expected: identifier");
    }
    if (std::vector<std::string> errs = IsQualifiedName(key->literal); !errs.empty()) {
      std::string detail;
      for (size_t i = 0; i < errs.size(); ++i) detail += (i ? "; " : "") + errs[i];
      return BadRequestError(FieldInvalid("", key->literal, detail));
    }
    Token ahead = Map(Peek(kValues).tok, kValues);
    bool unary = does_not_exist || ahead == Token::kEnd || ahead == Token::kComma;
    if (unary) {
      return Requirement::Create(key->literal,
                                 does_not_exist ? Operator::kDoesNotExist : Operator::kExists, {});
    }
    const Item& op_item = Consume();
    Operator op;
    switch (op_item.tok) {
      case Token::kIn:
        op = Operator::kIn;
        break;
      case Token::kEquals:
        op = Operator::kEquals;
        break;
      case Token::kDoubleEquals:
        op = Operator::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        op = Operator::kGreaterThan;
        break;
      case Token::kLessThan:
        op = Operator::kLessThan;
        break;
      case Token::kNotIn:
        op = Operator::kNotIn;
        break;
      case Token::kNotEquals:
        op = Operator::kNotEquals;
        break;
      default:
        return BadRequestError("found '" + op_item.literal +
                               "', expected: in, notin, =, ==, !=, gt, lt");
    }
    Result<std::vector<std::string>> values =
        (op == Operator::kIn || op == Operator::kNotIn) ? ParseValues() : ParseExactValue();
    if (!values.ok()) return values.status();
    return Requirement::Create(key->literal, op, std::move(values).value());
  }

  Result<std::vector<std::string>> ParseValues() {
    const Item& open = Consume();
    if (Map(open.tok, kValues) != Token::kOpenPar) {
      return BadRequestError("found '" + open.literal + "' expected: '('");
    }
    const Item& ahead = Peek(kValues);
    Token t = Map(ahead.tok, kValues);
    if (t == Token::kIdentifier || t == Token::kComma) {
      Result<std::vector<std::string>> list = ParseIdentifiersList();
      if (!list.ok()) return list;
      if (Map(Consume().tok, kValues) != Token::kClosedPar) {
        return BadRequestError("found '" + ahead.literal + "', expected: ')'");
      }
      return list;
    }
    if (t == Token::kClosedPar) {
      Consume();
      return std::vector<std::string>{""};
    }
    return BadRequestError("found '" + ahead.literal + "', expected: ',', ')' or identifier");
  }

  Result<std::vector<std::string>> ParseIdentifiersList() {
    std::vector<std::string> values;
    while (true) {
      const Item& item = Consume();
      Token t = Map(item.tok, kValues);
      if (t == Token::kIdentifier) {
        values.push_back(item.literal);
        const Item& ahead = Peek(kValues);
        Token t2 = Map(ahead.tok, kValues);
        if (t2 == Token::kComma) continue;
        if (t2 == Token::kClosedPar) return values;
        return BadRequestError("found '" + ahead.literal + "', expected: ',' or ')'");
      }
      if (t == Token::kComma) {
        // `(,a`, `a,,b` and `a,)` each contribute the empty value.
        if (values.empty()) values.push_back("");
        Token t2 = Map(Peek(kValues).tok, kValues);
        if (t2 == Token::kClosedPar) {
          values.push_back("");
          return values;
        }
        if (t2 == Token::kComma) values.push_back("");
        continue;
      }
      return BadRequestError("found '" + item.literal + "', expected: ',', or identifier");
    }
  }

  Result<std::vector<std::string>> ParseExactValue() {
    Token ahead = Map(Peek(kValues).tok, kValues);
    if (ahead == Token::kEnd || ahead == Token::kComma) return std::vector<std::string>{""};
    const Item& item = Consume();
    if (Map(item.tok, kValues) == Token::kIdentifier) return std::vector<std::string>{item.literal};
    return BadRequestError("found '" + item.literal + "', expected: identifier");
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

Result<LabelSelector> LabelSelector::Parse(std::string_view text) { return Parser(text).Parse(); }

}  // namespace capstan::selector
