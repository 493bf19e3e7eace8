// Internal: the bytecode form of a compiled formula and the machine that runs it.
//
// The tree (program.hpp) is the reference semantics: explanations, constant folding and
// formula::prepare() evaluate it. For the hot path the tree is also compiled into postfix code
// for a stack machine: no recursion, one dispatch per instruction, and fused instructions for
// the shapes CRM formulas are made of (a field compared with a constant; IF with constant
// branches; a lookup table of texts). Control flow (IF, IFS, SWITCH, AND, OR, IFERROR, COALESCE,
// IN) is jumps, so short-circuiting and "the first error wins" are exactly the tree's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rules/formula/program.hpp"

namespace crmrules::detail::fx {

/// The reference evaluation (the tree), for tests that hold the VM to it.
formula_value evaluate_tree(const formula& f, activation& act);

/// Compiles the (folded, compacted) tree of `p` into code.
bytecode generate(const access::program& p);

/// Runs `code` (p's own, or a prepared copy) with the activation's values.
formula_value run(const access::program& p, const bytecode& bc, const instr* code,
                  access::act_state& st, const activation& act);

/// Runs p.bc when it is score_only: a sum of simple terms, no machine, no arena. With
/// `prepared`, the terms prepare_score() computed are read from `st`.
formula_value run_score(const access::program& p, const access::act_state& st,
                        const formula_value* slots, bool prepared) noexcept;

/// run_score once per record of a batch (formula::evaluate_each): out[i] for the record at
/// position which[i] (i itself when `which` is empty), whose slots of the batch's scope are
/// read from the batch's columns; variable `var` reads var_values[i] (formula::no_variable:
/// none varies). out[i] is what run_score returns with that record bound. `prepared` as for
/// run_score. `acc` is scratch for out.size() running sums.
void run_score_each(const access::program& p, const access::act_state& st, bool prepared,
                    const record_batch& batch, std::span<const std::uint32_t> which,
                    std::size_t var, const formula_value* var_values, double* acc,
                    std::span<formula_value> out) noexcept;

/// Partial evaluation of a score_only program: computes, in `st`, every term that reads only
/// scopes in `fixed` (and is not constant).
void prepare_score(const access::program& p, access::act_state& st, std::uint32_t fixed);

/// `bc.code` with every range whose node is marked in `cached` replaced by a push of the cached
/// value (and a jump over the rest of the range).
std::vector<instr> with_cached(const bytecode& bc, const std::vector<bool>& cached);

}  // namespace crmrules::detail::fx
