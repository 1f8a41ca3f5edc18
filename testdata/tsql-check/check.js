// Checks SQL Server statements with a grammar nobody in this project wrote
// (grammars-v4's TSqlParser, prebuilt by antlr4ts-sql) and with SQL
// Server's limits. Input: a JSON array of {"name", "sql"} on stdin.
// Output: one line per violation, "name: problem"; exit 1 if any.
'use strict';
const { antlr4tsSQL, SQLDialect } = require('antlr4ts-sql');
const { BailErrorStrategy } = require('antlr4ts');
const { PredictionMode } = require('antlr4ts/atn/PredictionMode');

const MAX_PARAMS = 2098; // 2,100 per request, two taken by sp_executesql
const MAX_CASE = 10;

const tsql = new antlr4tsSQL(SQLDialect.TSQL);

// Query hints newer than the grammar (SQL Server 2016 SP1+): the statement
// is parsed without them, and each is checked to be a documented hint.
const newerHints = [
  /, NO_PERFORMANCE_SPOOL(?=[,)])/g,
  /, USE HINT \(('[A-Z_]+'(, )?)+\)(?=[,)])/g,
];

function withoutNewerHints(sql) {
  const at = sql.lastIndexOf(' OPTION (');
  if (at < 0) return sql;
  let option = sql.slice(at);
  for (const re of newerHints) option = option.replace(re, '');
  return sql.slice(0, at) + option;
}

// syntaxErrors parses one statement: first in SLL mode, bailing out at
// the first error (fast), then, only if that fails, in full LL mode with
// the errors collected.
function syntaxErrors(sql) {
  try {
    const tokens = tsql.getTokens(sql, [throwing]);
    const parser = tsql.getParser(tokens, [throwing]);
    parser.interpreter.setPredictionMode(PredictionMode.SLL);
    parser.errorHandler = new BailErrorStrategy();
    const tree = parser.tsql_file();
    return { errors: [], tree, tokens };
  } catch (e) {
    return syntaxErrorsLL(sql);
  }
}

const throwing = {
  syntaxError(recognizer, offending, line, col, msg) {
    throw new Error(msg);
  },
};

function syntaxErrorsLL(sql) {
  const errors = [];
  const listener = {
    syntaxError(recognizer, offending, line, col, msg) {
      errors.push(`${line}:${col} ${msg.replace(/ expecting .*/s, '')}`);
    },
  };
  const tokens = tsql.getTokens(sql, [listener]);
  const parser = tsql.getParser(tokens, [listener]);
  const tree = parser.tsql_file();
  return { errors, tree, tokens };
}

// words lists the statement's default-channel tokens' texts (quoted
// identifiers and literals are one token each), from the statement.
function words(tokens, sql) {
  tokens.fill();
  return tokens.getTokens().filter((t) => t.channel === 0 && t.type !== -1).map((t) => sql.slice(t.startIndex, t.stopIndex + 1));
}

function limits(sql, toks) {
  const problems = [];
  let maxParam = 0;
  for (const m of sql.matchAll(/@p(\d+)\b/g)) maxParam = Math.max(maxParam, Number(m[1]));
  if (maxParam > MAX_PARAMS) problems.push(`${maxParam} parameters (SQL Server takes ${MAX_PARAMS})`);
  let depth = 0, deepest = 0;
  for (const w of toks) {
    const u = w.toUpperCase();
    if (u === 'CASE') deepest = Math.max(deepest, ++depth);
    else if (u === 'END') depth--;
    else if (u === 'LIMIT' || u === 'TRUE' || u === 'FALSE' || u === 'NULLS') problems.push(`${u} is not T-SQL`);
  }
  if (deepest > MAX_CASE) problems.push(`CASE nested ${deepest} deep (SQL Server takes ${MAX_CASE})`);
  return problems;
}

// repeatedOrder finds an ORDER BY that lists one expression twice (SQL
// Server error 169), walking the parse tree's order_by_clause nodes.
function repeatedOrder(tree, sql) {
  // Context text comes from the original statement: the case-changing
  // stream the lexer reads gives none.
  const textOf = (ctx) => sql.slice(ctx.start.startIndex, ctx.stop.stopIndex + 1);
  const problems = [];
  const walk = (node) => {
    if (!node) return;
    const name = node.constructor && node.constructor.name;
    if (name === 'Order_by_clauseContext') {
      const seen = new Set();
      for (let i = 0; i < node.childCount; i++) {
        const c = node.getChild(i);
        if (c.constructor.name !== 'Order_by_expressionContext') continue;
        const e = textOf(c.getChild(0)).toUpperCase();
        if (seen.has(e)) problems.push(`ORDER BY repeats ${e.slice(0, 80)}`);
        seen.add(e);
      }
    }
    for (let i = 0; i < (node.childCount || 0); i++) walk(node.getChild(i));
  };
  walk(tree);
  return problems;
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const stmts = JSON.parse(input);
  let bad = 0;
  for (const stmt of stmts) {
    const name = stmt.name;
    const sql = withoutNewerHints(stmt.sql);
    const { errors, tree, tokens } = syntaxErrors(sql);
    const problems = errors.map((e) => `syntax ${e}`).concat(limits(sql, words(tokens, sql)), repeatedOrder(tree, sql));
    for (const p of problems) console.log(`${name}: ${p}`);
    if (problems.length) bad++;
  }
  console.log(`${stmts.length - bad} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
});
