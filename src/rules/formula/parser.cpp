// Recursive descent over the grammar (lowest precedence first):
//
//   formula    := or EOF
//   or         := and ( OR and )*
//   and        := not ( AND not )*
//   not        := NOT not | comparison            (NOT(...) is a call)
//   comparison := concat ( (= <> < <= > >=) concat )*
//   concat     := additive ( & additive )*
//   additive   := term ( (+ -) term )*
//   term       := power ( (* /) power )*
//   power      := unary ( ^ unary )*
//   unary      := (- +) unary | postfix
//   postfix    := primary %*
//   primary    := number | duration | string | TRUE | FALSE | NULL | name ( args ) | path | ( or )
//   path       := segment ( . segment )*        segment := identifier | [bracketed name]
//
// Every recursive step goes through a depth guard, so no input can overflow the stack; past the
// limit (or the node limit) the parser reports once and stops.
#include <algorithm>

#include "rules/formula/ast.hpp"

namespace crmrules::detail::fx {
namespace {

class parser {
 public:
  parser(std::string_view text, const std::vector<token>& tokens, const parse_limits& limits,
         syntax_tree& tree, std::vector<parse_error>& errors)
      : text_(text), t_(tokens), limits_(limits), tree_(tree), errors_(errors) {}

  void run() {
    // An unterminated string or bracket swallowed the rest of the input: what is "missing" at
    // the end then is its consequence, already explained, not another mistake.
    truncated_ = t_.size() >= 2 && t_[t_.size() - 2].kind == tok::error &&
                 t_[t_.size() - 2].text.rfind("unterminated", 0) == 0;
    tree_.root = or_expr();
    if (!aborted_ && peek().kind != tok::end) {
      const token& t = peek();
      if (t.kind == tok::rparen) {
        error(t, "unexpected ')' with no matching '('");
      } else if (t.kind != tok::error) {
        error(t, "unexpected " + describe(t) +
                     " after a complete expression (missing an operator or a comma?)");
      }
    }
  }

 private:
  // -- tokens -----------------------------------------------------------------------------------

  const token& peek(std::size_t k = 0) const { return t_[std::min(pos_ + k, t_.size() - 1)]; }
  const token& take() {
    const token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  bool at(tok kind) const { return peek().kind == kind; }

  /// An identifier spelled `word` (case-insensitive).
  bool at_keyword(std::string_view word, std::size_t k = 0) const {
    const token& t = peek(k);
    return t.kind == tok::ident && t.text.size() == word.size() && ascii_upper(t.text) == word;
  }

  std::string describe(const token& t) const {
    switch (t.kind) {
      case tok::end:
        return "end of formula";
      case tok::string:
        return "text \"" + t.text + "\"";
      default:
        return "'" + std::string(text_.substr(t.offset, t.length)) + "'";
    }
  }

  void error(std::uint32_t offset, std::uint32_t length, std::string message,
             std::string suggestion = {}) {
    if (truncated_ && at(tok::end)) return;
    errors_.push_back({offset, length, std::move(message), std::move(suggestion)});
  }
  void error(const token& t, std::string message, std::string suggestion = {}) {
    error(t.offset, std::max<std::uint32_t>(t.length, 1), std::move(message),
          std::move(suggestion));
  }

  // -- nodes ------------------------------------------------------------------------------------

  std::uint32_t add(ast_node n) {
    if (tree_.nodes.size() >= limits_.max_nodes) {
      abort(n.offset,
            "formula too large: more than " + std::to_string(limits_.max_nodes) +
                " sub-expressions (simplify it, or split the rule into several formulas)");
    }
    tree_.nodes.push_back(std::move(n));
    return static_cast<std::uint32_t>(tree_.nodes.size() - 1);
  }

  std::uint32_t invalid(std::uint32_t offset, std::uint32_t length = 0) {
    ast_node n;
    n.kind = ast_kind::invalid;
    n.offset = offset;
    n.length = length;
    tree_.nodes.push_back(std::move(n));  // not counted against the limit: keeps error paths simple
    return static_cast<std::uint32_t>(tree_.nodes.size() - 1);
  }

  /// Stops parsing: reported once, the rest of the input is skipped.
  void abort(std::uint32_t offset, std::string message) {
    if (!aborted_) error(offset, 1, std::move(message));
    aborted_ = true;
    pos_ = t_.size() - 1;
  }

  void span(std::uint32_t node, std::uint32_t from) {
    const std::uint32_t end = pos_ > 0 ? t_[pos_ - 1].offset + t_[pos_ - 1].length : from;
    tree_.nodes[node].offset = from;
    tree_.nodes[node].length = end > from ? end - from : 0;
  }

  void too_deep(std::uint32_t offset) {
    abort(offset, "formula nested too deeply: more than " + std::to_string(limits_.max_depth) +
                      " levels of parentheses, calls or operators");
  }

  struct depth_guard {
    explicit depth_guard(parser& p, std::uint32_t offset) : p_(p) {
      if (++p_.depth_ > p_.limits_.max_depth) p_.too_deep(offset);
    }
    ~depth_guard() { --p_.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
    [[nodiscard]] bool ok() const { return !p_.aborted_; }
    parser& p_;
  };

  /// Left-nested binary operators (1^2^3, a=b=c, 5%%) make the tree as deep as the chain is
  /// long, and later passes recurse on it: each link counts as a level, like a parenthesis.
  struct left_nesting {
    explicit left_nesting(parser& p) : p_(p) {}
    ~left_nesting() { p_.depth_ -= levels_; }
    left_nesting(const left_nesting&) = delete;
    left_nesting& operator=(const left_nesting&) = delete;
    /// One more link at `offset`; false (after reporting) past the limit.
    bool deeper(std::uint32_t offset) {
      ++levels_;
      if (++p_.depth_ > p_.limits_.max_depth) p_.too_deep(offset);
      return !p_.aborted_;
    }
    parser& p_;
    std::size_t levels_ = 0;
  };

  // -- grammar ----------------------------------------------------------------------------------

  std::uint32_t logic_chain(logic_op op, std::string_view word,
                            std::uint32_t (parser::*operand)()) {
    const std::uint32_t from = peek().offset;
    const std::uint32_t first = (this->*operand)();
    // After an operand, the word can only be the infix operator: `a OR (b)` is not a call.
    if (!at_keyword(word) || aborted_) return first;
    ast_node n;
    n.kind = ast_kind::nary;
    n.logic = op;
    n.children.push_back(first);
    while (at_keyword(word) && !aborted_) {
      take();
      n.children.push_back((this->*operand)());
    }
    const std::uint32_t id = add(std::move(n));
    span(id, from);
    return id;
  }

  std::uint32_t or_expr() { return logic_chain(logic_op::or_, "OR", &parser::and_expr); }
  std::uint32_t and_expr() { return logic_chain(logic_op::and_, "AND", &parser::not_expr); }

  std::uint32_t not_expr() {
    if (at_keyword("NOT") && peek(1).kind != tok::lparen) {
      const token& t = take();
      depth_guard guard(*this, t.offset);
      if (!guard.ok()) return invalid(t.offset);
      ast_node n;
      n.kind = ast_kind::unary;
      n.logic = logic_op::not_;
      n.children.push_back(not_expr());
      const std::uint32_t id = add(std::move(n));
      span(id, t.offset);
      return id;
    }
    return comparison();
  }

  static bool is_comparison(tok k) {
    return k == tok::eq || k == tok::ne || k == tok::lt || k == tok::le || k == tok::gt ||
           k == tok::ge;
  }

  std::uint32_t comparison() {
    const std::uint32_t from = peek().offset;
    std::uint32_t left = concat();
    left_nesting nesting(*this);
    while (is_comparison(peek().kind) && !aborted_) {
      const token& op_token = take();
      if (!nesting.deeper(op_token.offset)) break;
      ast_node n;
      n.kind = ast_kind::binary;
      n.op = op_token.kind;
      n.name_offset = op_token.offset;  // errors about the comparison point at its operator
      n.children = {left, concat()};
      left = add(std::move(n));
      span(left, from);
    }
    return left;
  }

  /// A chain of same-precedence operators as one n-ary node (keeps the tree shallow).
  std::uint32_t chain(std::initializer_list<tok> ops, tok inverse, tok node_op,
                      std::uint32_t (parser::*operand)()) {
    const std::uint32_t from = peek().offset;
    const std::uint32_t first = (this->*operand)();
    auto is_op = [&](tok k) { return std::find(ops.begin(), ops.end(), k) != ops.end(); };
    if (!is_op(peek().kind) || aborted_) return first;
    ast_node n;
    n.kind = ast_kind::nary;
    n.op = node_op;
    n.children.push_back(first);
    n.inverted.push_back(false);
    while (is_op(peek().kind) && !aborted_) {
      const tok op = take().kind;
      n.children.push_back((this->*operand)());
      n.inverted.push_back(op == inverse);
    }
    const std::uint32_t id = add(std::move(n));
    span(id, from);
    return id;
  }

  std::uint32_t concat() { return chain({tok::amp}, tok::end, tok::amp, &parser::additive); }
  std::uint32_t additive() {
    return chain({tok::plus, tok::minus}, tok::minus, tok::plus, &parser::term);
  }
  std::uint32_t term() {
    return chain({tok::star, tok::slash}, tok::slash, tok::star, &parser::power);
  }

  std::uint32_t power() {
    const std::uint32_t from = peek().offset;
    std::uint32_t left = unary();
    left_nesting nesting(*this);
    while (at(tok::caret) && !aborted_) {
      const token& op_token = take();
      if (!nesting.deeper(op_token.offset)) break;
      ast_node n;
      n.kind = ast_kind::binary;
      n.op = tok::caret;
      n.name_offset = op_token.offset;
      n.children = {left, unary()};
      left = add(std::move(n));
      span(left, from);
    }
    return left;
  }

  std::uint32_t unary() {
    if (at(tok::minus) || at(tok::plus)) {
      const token& t = take();
      depth_guard guard(*this, t.offset);
      if (!guard.ok()) return invalid(t.offset);
      ast_node n;
      n.kind = ast_kind::unary;
      n.op = t.kind;
      n.children.push_back(unary());
      const std::uint32_t id = add(std::move(n));
      span(id, t.offset);
      return id;
    }
    return postfix();
  }

  std::uint32_t postfix() {
    const std::uint32_t from = peek().offset;
    std::uint32_t e = primary();
    left_nesting nesting(*this);
    while (at(tok::percent) && !aborted_) {
      if (!nesting.deeper(take().offset)) break;
      ast_node n;
      n.kind = ast_kind::unary;
      n.op = tok::percent;
      n.children.push_back(e);
      e = add(std::move(n));
      span(e, from);
    }
    return e;
  }

  /// A literal's node, spanning its token.
  static ast_node literal(ast_kind kind, const token& t) {
    ast_node n;
    n.kind = kind;
    n.offset = t.offset;
    n.length = t.length;
    return n;
  }

  std::uint32_t primary() {
    const token& t = peek();
    switch (t.kind) {
      case tok::number: {
        ast_node n = literal(ast_kind::number, take());
        n.number = t.number;
        return add(std::move(n));
      }
      case tok::duration: {
        ast_node n = literal(ast_kind::duration, take());
        n.micros = t.micros;
        return add(std::move(n));
      }
      case tok::string: {
        ast_node n = literal(ast_kind::string, take());
        n.text = t.text;
        return add(std::move(n));
      }
      case tok::lparen: {
        const token& open = take();
        depth_guard guard(*this, open.offset);
        if (!guard.ok()) return invalid(open.offset);
        const std::uint32_t inner = or_expr();
        if (at(tok::rparen)) {
          take();
        } else if (!aborted_) {
          error(open, "missing ')' to close this '('", ")");
        }
        return inner;
      }
      case tok::ident:
        return ident();
      case tok::bracketed:
        return path();
      case tok::error: {
        take();  // already reported by the lexer
        return invalid(t.offset, t.length);
      }
      case tok::end:
        error(t, "the formula ends where a value is expected");
        return invalid(t.offset);
      default: {
        // Leave ')' and ',' for the caller; they close something.
        if (t.kind != tok::rparen && t.kind != tok::comma) take();
        error(t, "expected a value, found " + describe(t));
        return invalid(t.offset, t.length);
      }
    }
  }

  std::uint32_t ident() {
    const token& t = peek();
    const std::string upper = ascii_upper(t.text);
    if (peek(1).kind == tok::lparen) return call();
    if (upper == "TRUE" || upper == "FALSE") {
      take();
      ast_node n;
      n.kind = ast_kind::boolean;
      n.flag = upper == "TRUE";
      n.offset = t.offset;
      n.length = t.length;
      return add(std::move(n));
    }
    if (upper == "NULL" || upper == "BLANK") {
      take();
      ast_node n;
      n.kind = ast_kind::null;
      n.offset = t.offset;
      n.length = t.length;
      return add(std::move(n));
    }
    if (upper == "AND" || upper == "OR" || upper == "NOT") {
      take();
      error(t, upper + " needs operands here: write a " + upper + " b, or " + upper + "(a, b)");
      return invalid(t.offset, t.length);
    }
    return path();
  }

  std::uint32_t path() {
    ast_node n;
    n.kind = ast_kind::path;
    const std::uint32_t from = peek().offset;
    n.name_offset = from;
    for (;;) {
      const token& seg = take();
      n.path.push_back(seg.text);
      n.bracketed = n.bracketed || seg.kind == tok::bracketed;
      if (!(at(tok::dot) && (peek(1).kind == tok::ident || peek(1).kind == tok::bracketed))) break;
      take();
    }
    if (at(tok::dot)) {
      const token& dot = take();
      error(dot, "expected a field name after '.'");
    }
    const std::uint32_t id = add(std::move(n));
    span(id, from);
    return id;
  }

  std::uint32_t call() {
    const token& name = take();
    const token& open = take();  // '('
    depth_guard guard(*this, open.offset);
    if (!guard.ok()) return invalid(name.offset);
    ast_node n;
    n.kind = ast_kind::call;
    n.text = ascii_upper(name.text);
    n.name = name.text;
    n.name_offset = name.offset;
    if (!at(tok::rparen)) {
      for (;;) {
        if (at(tok::comma) || at(tok::rparen)) {
          error(peek(), "empty argument in the call of " + name.text);
          n.children.push_back(invalid(peek().offset));
        } else {
          n.children.push_back(or_expr());
        }
        if (aborted_) break;
        if (at(tok::comma)) {
          take();
          continue;
        }
        break;
      }
    }
    if (at(tok::rparen)) {
      take();
    } else if (!aborted_) {
      const token& t = peek();
      if (t.kind == tok::end) {
        error(open, "missing ')' to close the call of " + name.text, ")");
      } else {
        error(t, "expected ',' or ')' in the call of " + name.text + ", found " + describe(t));
        // Skip to the closing parenthesis of this call, if there is one, to keep going.
        int level = 0;
        while (!at(tok::end)) {
          if (at(tok::lparen)) ++level;
          if (at(tok::rparen) && level-- == 0) {
            take();
            break;
          }
          take();
        }
      }
    }
    const std::uint32_t id = add(std::move(n));
    span(id, name.offset);
    return id;
  }

  std::string_view text_;
  const std::vector<token>& t_;
  const parse_limits& limits_;
  syntax_tree& tree_;
  std::vector<parse_error>& errors_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  bool aborted_ = false;
  bool truncated_ = false;
};

}  // namespace

syntax_tree parse(std::string_view text, const parse_limits& limits,
                  std::vector<parse_error>& errors) {
  std::vector<lex_error> lex_errors;
  const std::vector<token> tokens = lex(text, lex_errors);
  for (auto& e : lex_errors)
    errors.push_back({e.offset, e.length, std::move(e.message), std::move(e.suggestion)});
  syntax_tree tree;
  tree.nodes.reserve(std::min<std::size_t>(tokens.size() * 2, limits.max_nodes + 16));
  parser(text, tokens, limits, tree, errors).run();
  // Lexer errors come first in the list but belong in text order with the parser's.
  std::stable_sort(errors.begin(), errors.end(),
                   [](const parse_error& a, const parse_error& b) { return a.offset < b.offset; });
  return tree;
}

}  // namespace crmrules::detail::fx
