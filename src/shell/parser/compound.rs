//! Compound commands: subshells, brace groups, `if`, `while`/`until`, `for`, `case`, function
//! definitions, and the redirections that may follow them.

use crate::shell::lexer::{skip_parens, Kind, Kw, Op, Tok};

use super::{Parser, DO, DONE, DSEMI, ELIF, ELSE, ESAC, FI, MAX_DEPTH, RBRACE, RPAREN, THEN};

impl Parser<'_> {
    /// Redirections after a compound command (`done < file`, `} > log`).
    pub(super) fn parse_trailing_redirects(&mut self) {
        while self.peek_kind() == Kind::Redir {
            self.parse_redirect();
        }
    }

    pub(super) fn parse_subshell(&mut self) {
        let Tok::Op { start, .. } = self.bump() else {
            return;
        };
        if self.pos == start + 1 && self.b.get(start + 1) == Some(&b'(') || self.depth >= MAX_DEPTH
        {
            // `(( arithmetic ))`, or too deep: skip the balanced text.
            self.pos = skip_parens(self.b, start);
            self.last_end = self.pos;
            return;
        }
        let saved = self.enter(true);
        self.closers |= RPAREN;
        self.parse_list();
        if self.peek_kind() == Kind::Op(Op::RParen) {
            self.bump();
        }
        self.leave(saved);
    }

    pub(super) fn parse_group(&mut self) {
        self.bump();
        let saved = self.enter(false);
        self.closers |= RBRACE;
        self.parse_list();
        if self.peek_kind() == Kind::Word(Some(Kw::RBrace)) {
            self.bump();
        }
        self.leave(saved);
    }

    pub(super) fn parse_if(&mut self) {
        self.bump();
        let saved = self.enter(false);
        self.closers |= THEN | ELIF | ELSE | FI;
        self.parse_list();
        loop {
            match self.peek_kind() {
                Kind::Word(Some(Kw::Then | Kw::Elif | Kw::Else)) => {
                    self.bump();
                    self.parse_list();
                }
                Kind::Word(Some(Kw::Fi)) => {
                    self.bump();
                    break;
                }
                _ => break,
            }
        }
        self.leave(saved);
    }

    pub(super) fn parse_while(&mut self) {
        self.bump();
        let saved = self.enter(false);
        self.closers |= DO | DONE;
        self.parse_list();
        if self.peek_kind() == Kind::Word(Some(Kw::Do)) {
            self.bump();
            self.parse_list();
        }
        if self.peek_kind() == Kind::Word(Some(Kw::Done)) {
            self.bump();
        }
        self.leave(saved);
    }

    pub(super) fn parse_for(&mut self) {
        self.bump();
        match self.peek_kind() {
            Kind::Op(Op::LParen) => {
                // `for (( init; test; step ))`
                if let Tok::Op { start, .. } = self.bump() {
                    self.pos = skip_parens(self.b, start);
                    self.last_end = self.pos;
                }
            }
            Kind::Word(_) => {
                self.bump();
            }
            _ => {}
        }
        self.skip_newlines();
        if self.peek_kind() == Kind::Word(Some(Kw::In)) {
            self.bump();
            // The item words are not commands (their substitutions were parsed by the lexer).
            while matches!(self.peek_kind(), Kind::Word(_)) {
                self.bump();
            }
        }
        while matches!(self.peek_kind(), Kind::Op(Op::Semi | Op::Newline)) {
            self.bump();
        }
        let saved = self.enter(false);
        match self.peek_kind() {
            Kind::Word(Some(Kw::Do)) => {
                self.bump();
                self.closers |= DONE;
                self.parse_list();
                if self.peek_kind() == Kind::Word(Some(Kw::Done)) {
                    self.bump();
                }
            }
            Kind::Word(Some(Kw::LBrace)) => {
                self.bump();
                self.closers |= RBRACE;
                self.parse_list();
                if self.peek_kind() == Kind::Word(Some(Kw::RBrace)) {
                    self.bump();
                }
            }
            _ => {}
        }
        self.leave(saved);
    }

    pub(super) fn parse_case(&mut self) {
        self.bump();
        if matches!(self.peek_kind(), Kind::Word(_)) {
            self.bump();
        }
        self.skip_newlines();
        if self.peek_kind() == Kind::Word(Some(Kw::In)) {
            self.bump();
        }
        let saved = self.enter(false);
        self.closers |= DSEMI | ESAC;
        loop {
            let before = self.consumed;
            while matches!(self.peek_kind(), Kind::Op(Op::Newline | Op::Semi)) {
                self.bump();
            }
            match self.peek_kind() {
                Kind::Word(Some(Kw::Esac)) => {
                    self.bump();
                    break;
                }
                Kind::Eof => break,
                _ => {}
            }
            // Patterns: `[(] pat [| pat]… )`; they are not commands.
            if self.peek_kind() == Kind::Op(Op::LParen) {
                self.bump();
            }
            loop {
                match self.peek_kind() {
                    Kind::Word(_) | Kind::Op(Op::Pipe) => {
                        self.bump();
                    }
                    Kind::Op(Op::RParen) => {
                        self.bump();
                        break;
                    }
                    _ => break,
                }
            }
            self.parse_list();
            match self.peek_kind() {
                Kind::Op(Op::DSemi) => {
                    self.bump();
                }
                Kind::Word(Some(Kw::Esac)) => {}
                _ => break,
            }
            if self.consumed == before {
                break;
            }
        }
        self.leave(saved);
    }

    /// `function name [()] body`
    pub(super) fn parse_function_kw(&mut self) {
        self.bump();
        if matches!(self.peek_kind(), Kind::Word(_)) {
            self.bump();
        }
        if self.peek_kind() == Kind::Op(Op::LParen) {
            self.bump();
            if self.peek_kind() == Kind::Op(Op::RParen) {
                self.bump();
            }
        }
        self.parse_function_body();
    }

    pub(super) fn parse_function_body(&mut self) {
        self.skip_newlines();
        if self.depth >= MAX_DEPTH {
            return;
        }
        let saved = self.enter(false);
        self.parse_pipeline();
        self.leave(saved);
    }
}
