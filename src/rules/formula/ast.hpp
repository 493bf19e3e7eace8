// Internal: the formula syntax tree and the parser that builds it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/formula/lexer.hpp"

namespace crmrules::detail::fx {

enum class ast_kind : std::uint8_t {
  number,    // literal: `number`
  duration,  // literal: `micros`
  string,    // literal: `text`
  boolean,   // TRUE / FALSE: `flag`
  null,      // NULL
  path,      // a field or variable: `path` segments, `bracketed` if written in [...]
  call,      // function call: `text` = upper-cased name, `name` = as written, children = arguments
  unary,     // `op` (minus, plus, NOT as ident, percent), one child
  binary,    // `op` (comparison, caret, slash), two children
  nary,     // `op` (plus: sum with `negate` flags, star: product with `divide` flags, amp, AND, OR)
  invalid,  // a part that did not parse (an error was reported)
};

/// Which n-ary/unary operation a node is (tok values reused for arithmetic and comparisons).
enum class logic_op : std::uint8_t { none, and_, or_, not_ };

struct ast_node {
  ast_kind kind = ast_kind::invalid;
  tok op = tok::end;
  logic_op logic = logic_op::none;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  double number = 0;
  std::int64_t micros = 0;
  bool flag = false;
  bool bracketed = false;
  std::string text;
  std::string name;
  std::vector<std::string> path;
  std::vector<std::uint32_t> children;
  std::vector<bool> inverted;     // nary: per child, negated (sum) or divisor (product)
  std::uint32_t name_offset = 0;  // call: where the function name is; path: where it starts
};

struct parse_error {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::string message;
  std::string suggestion;
};

struct parse_limits {
  std::size_t max_depth = 128;
  std::size_t max_nodes = 10'000;
};

struct syntax_tree {
  std::vector<ast_node> nodes;
  std::uint32_t root = 0;
};

/// Parses `text`. Every syntax error is reported in `errors` (lexical ones included); the tree
/// is usable only when `errors` is empty.
syntax_tree parse(std::string_view text, const parse_limits& limits,
                  std::vector<parse_error>& errors);

}  // namespace crmrules::detail::fx
