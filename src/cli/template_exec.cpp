// The executor of Go text/template (text/template/exec.go) over JSON: walks the parse tree,
// evaluating pipelines, fields, variables and function calls, with Go's error texts.
#include "cli/template_internal.h"

#include <algorithm>

#include "cli/format.h"

namespace berth::cli {

using nlohmann::json;

namespace {

using tmpl::Command;
using tmpl::Expr;
using tmpl::Node;
using tmpl::Pipe;

struct ExecError {
    std::string msg;
};

enum class Flow { Normal, Break, Continue };

const json kMissing = json(json::value_t::discarded);

bool isMissing(const json& v) {
    return v.is_discarded();
}

class Exec {
  public:
    Exec(const Template::Tree& tree, const ExecOptions& opts, std::string& out)
        : tree_(tree), opts_(opts), out_(out) {}

    void run(const json& data) {
        vars_.emplace_back("$", data.is_null() ? kMissing : data);
        walkList(vars_.back().second, tree_.root);
    }

  private:
    // Go's s.at(node): errors name the node being evaluated.
    void at(size_t pos, std::string context) {
        atPos_ = pos;
        atContext_ = std::move(context);
    }
    void at(const Expr& e) { at(e.pos, tmpl::str(e)); }

    template <typename... A>
    [[noreturn]] void fail(fmt::format_string<A...> f, A&&... a) {
        size_t line = 1, lineStart = 0;
        for (size_t i = 0; i < atPos_ && i < tree_.source.size(); ++i)
            if (tree_.source[i] == '\n') ++line, lineStart = i + 1;
        const std::string& ctx = atContext_;
        throw ExecError{fmt::format("template: :{}:{}: executing \"\" at <{}>: {}", line,
                                    atPos_ - lineStart, ctx,
                                    fmt::format(f, std::forward<A>(a)...))};
    }

    Flow walkList(const json& dot, const std::vector<Node>& list) {
        for (const Node& n : list) {
            Flow f = walk(dot, n);
            if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
    }

    Flow walk(const json& dot, const Node& n) {
        switch (n.kind) {
            case Node::Text:
                out_ += n.text;
                return Flow::Normal;
            case Node::Action: {
                json v = evalPipeline(dot, *n.pipe);
                if (n.pipe->decl.empty()) out_ += isMissing(v) ? "<no value>" : go::print(v);
                return Flow::Normal;
            }
            case Node::Break:
                return Flow::Break;
            case Node::Continue:
                return Flow::Continue;
            case Node::Range:
                return walkRange(dot, n);
            case Node::If:
            case Node::With: {
                size_t mark = vars_.size();
                json v = evalPipeline(dot, *n.pipe);
                Flow f = Flow::Normal;
                if (go::truth(v))
                    f = walkList(n.kind == Node::With ? v : dot, n.list);
                else
                    f = walkList(dot, n.elseList);
                vars_.resize(mark);
                return f;
            }
        }
        return Flow::Normal;
    }

    Flow walkRange(const json& dot, const Node& n) {
        size_t mark = vars_.size();
        json v = evalPipeline(dot, *n.pipe);
        size_t ndecl = n.pipe->decl.size();
        bool any = false;
        auto one = [&](const json& index, const json& elem) {
            any = true;
            if (ndecl > 0) vars_[vars_.size() - 1].second = elem;
            if (ndecl > 1) vars_[vars_.size() - 2].second = index;
            size_t iterMark = vars_.size();
            Flow f = walkList(elem, n.list);
            vars_.resize(iterMark);
            return f != Flow::Break;
        };
        if (v.is_array()) {
            for (size_t i = 0; i < v.size(); ++i)
                if (!one(json(static_cast<int64_t>(i)), v[i])) break;
        } else if (v.is_object()) {
            for (auto it = v.begin(); it != v.end(); ++it)
                if (!one(json(it.key()), it.value())) break;
        } else if (v.is_number_integer()) {
            if (ndecl > 1) {
                at(n.pipe->cmds.back().args[0]);
                fail("can't use {} to iterate over more than one variable", go::print(v));
            }
            for (int64_t i = 0; i < v.get<int64_t>(); ++i)
                if (!one(json(i), json(i))) break;
        } else if (!isMissing(v) && !v.is_null()) {
            at(n.pipe->cmds.back().args[0]);
            fail("range can't iterate over {}", go::print(v));
        }
        if (!any) walkList(dot, n.elseList);
        vars_.resize(mark);
        return Flow::Normal;
    }

    json evalPipeline(const json& dot, const Pipe& pipe) {
        json value = kMissing;
        for (size_t i = 0; i < pipe.cmds.size(); ++i) {
            value = evalCommand(dot, pipe.cmds[i], i == 0 ? nullptr : &value);
            if (value.is_null()) value = kMissing;  // Go unwraps a nil interface to no value
        }
        for (const auto& name : pipe.decl) {
            if (!pipe.isAssign) {
                vars_.emplace_back(name, value);
                continue;
            }
            for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
                if (it->first == name) {
                    it->second = value;
                    break;
                }
        }
        return value;
    }

    json evalCommand(const json& dot, const Command& cmd, const json* final) {
        const Expr& first = cmd.args[0];
        switch (first.kind) {
            case Expr::Field:
                return evalFieldChain(dot, dot, first, first.fields, &cmd, final);
            case Expr::Chain:
                return evalChain(dot, first, &cmd, final);
            case Expr::Identifier:
                return evalFunction(dot, first, &cmd, final);
            case Expr::Variable:
                return evalVariable(dot, first, &cmd, final);
            default:
                break;
        }
        at(first);
        if (cmd.args.size() > 1 || final)
            fail("can't give argument to non-function {}", tmpl::str(first));
        switch (first.kind) {
            case Expr::Paren:
                return evalPipeline(dot, *first.pipe);
            case Expr::Dot:
                return dot;
            case Expr::Nil:
                fail("nil is not a command");
            default:
                return first.value;
        }
    }

    // An argument of a function or method: no value becomes null (Go's zero interface).
    json evalArg(const json& dot, const Expr& e) {
        at(e);
        json v;
        switch (e.kind) {
            case Expr::Dot:
                v = dot;
                break;
            case Expr::Nil:
                v = nullptr;
                break;
            case Expr::Literal:
                v = e.value;
                break;
            case Expr::Field:
                v = evalFieldChain(dot, dot, e, e.fields, nullptr, nullptr);
                break;
            case Expr::Variable:
                v = evalVariable(dot, e, nullptr, nullptr);
                break;
            case Expr::Chain:
                v = evalChain(dot, e, nullptr, nullptr);
                break;
            case Expr::Paren:
                v = evalPipeline(dot, *e.pipe);
                break;
            case Expr::Identifier:
                v = evalFunction(dot, e, nullptr, nullptr);
                break;
        }
        return isMissing(v) ? json(nullptr) : v;
    }

    json evalVariable(const json& dot, const Expr& e, const Command* cmd, const json* final) {
        at(e);
        json value = kMissing;
        auto it = std::find_if(vars_.rbegin(), vars_.rend(),
                               [&](const auto& v) { return v.first == e.name; });
        if (it == vars_.rend()) fail("undefined variable: {}", e.name);
        value = it->second;
        if (e.fields.empty()) {
            if ((cmd && cmd->args.size() > 1) || final)
                fail("can't give argument to non-function {}", tmpl::str(e));
            return value;
        }
        return evalFieldChain(dot, value, e, e.fields, cmd, final);
    }

    json evalChain(const json& dot, const Expr& e, const Command* cmd, const json* final) {
        at(e);
        if (e.inner->kind == Expr::Nil)
            fail("indirection through explicit nil in {}", tmpl::str(e));
        json receiver = evalArg(dot, *e.inner);
        return evalFieldChain(dot, receiver, e, e.fields, cmd, final);
    }

    json evalFieldChain(const json& dot, json receiver, const Expr& node,
                        const std::vector<std::string>& idents, const Command* cmd,
                        const json* final) {
        at(node);
        for (size_t i = 0; i + 1 < idents.size(); ++i)
            receiver = evalField(dot, idents[i], node, nullptr, nullptr, receiver);
        return evalField(dot, idents.back(), node, cmd, final, receiver);
    }

    json evalField(const json& dot, const std::string& name, const Expr& node, const Command* cmd,
                   const json* final, const json& receiver) {
        if (isMissing(receiver) || receiver.is_null()) {
            if (opts_.missingKeyError) fail("nil data; no entry for key \"{}\"", name);
            return kMissing;
        }
        if (!receiver.is_object())
            fail("can't evaluate field {} in type {}", name, go::typeName(receiver));
        auto it = receiver.find(name);
        bool hasArgs = (cmd && cmd->args.size() > 1) || final;
        if (hasArgs) {
            // Stands in for docker's methods, e.g. ContainerContext.Label(name).
            if (it == receiver.end() || !it->is_object())
                fail("{} is not a method but has arguments", name);
            std::vector<json> keys;
            for (size_t i = 1; cmd && i < cmd->args.size(); ++i)
                keys.push_back(evalArg(dot, cmd->args[i]));
            if (final) keys.push_back(isMissing(*final) ? json(nullptr) : *final);
            at(node);
            return indexInto(*it, keys);
        }
        if (it == receiver.end()) {
            if (opts_.missingKeyError) fail("map has no entry for key \"{}\"", name);
            return kMissing;
        }
        return *it;
    }

    json indexInto(json item, const std::vector<json>& keys) {
        auto r = go::index(item, keys);
        if (!r) fail("error calling index: {}", r.error().msg);
        return std::move(r).value();
    }

    json evalFunction(const json& dot, const Expr& ident, const Command* cmd, const json* final) {
        at(ident);
        const std::string& name = ident.name;
        std::vector<const Expr*> argNodes;
        for (size_t i = 1; cmd && i < cmd->args.size(); ++i) argNodes.push_back(&cmd->args[i]);
        size_t n = argNodes.size() + (final ? 1 : 0);
        auto finalArg = [&] { return isMissing(*final) ? json(nullptr) : *final; };
        if (name == "and" || name == "or") {  // short-circuit, returning the deciding value
            if (n < 1) fail("wrong number of args for {}: want at least 1 got 0", name);
            json v;
            for (size_t i = 0; i < n; ++i) {
                v = i < argNodes.size() ? evalArg(dot, *argNodes[i]) : finalArg();
                if (go::truth(v) == (name == "or")) return v;
            }
            return v;
        }
        std::vector<json> args;
        for (const Expr* a : argNodes) args.push_back(evalArg(dot, *a));
        if (final) args.push_back(finalArg());
        at(ident);
        auto arity = go::arity(name, opts_.headerFunctions);
        if (arity.variadic && n < arity.n)
            fail("wrong number of args for {}: want at least {} got {}", name, arity.n, n);
        if (!arity.variadic && n != arity.n)
            fail("wrong number of args for {}: want {} got {}", name, arity.n, n);
        if (cmd) at(cmd->pos, tmpl::str(*cmd));
        auto r = go::call(name, args, opts_.headerFunctions);
        if (!r) fail("{}", r.error().msg);
        return std::move(r).value();
    }

    const Template::Tree& tree_;
    const ExecOptions& opts_;
    std::string& out_;
    std::vector<std::pair<std::string, json>> vars_;
    size_t atPos_ = 0;
    std::string atContext_;
};

}  // namespace

bool Template::run(const json& data, const ExecOptions& opts, std::string& out,
                   std::string& err) const {
    try {
        Exec(*tree_, opts, out).run(data);
        return true;
    } catch (const ExecError& e) {
        err = e.msg;
        return false;
    }
}

Result<std::string> Template::execute(const json& data, const ExecOptions& opts) const {
    std::string out, err;
    if (!run(data, opts, out, err)) return invalid("{}", err);
    return out;
}

std::string Template::executePartial(const json& data, const ExecOptions& opts) const {
    std::string out, err;
    run(data, opts, out, err);
    return out;
}

}  // namespace berth::cli
