/*
 * The execution checkpoint's layout (see pg_exec_layout.h): QueryDesc and
 * PlannedStmt offsets read from the machine code of two small exported
 * functions that store those very fields, then checked against the table of
 * what sqlward verified per major version. Decoding is limited to the mov
 * forms compilers emit for field copies; anything else is "not verified".
 */
#include <stdio.h>
#include <string.h>
#include "pg_exec_layout.h"

/*
 * Per major: offsets checked against that version's headers
 * (executor/execdesc.h, nodes/plannodes.h, nodes/nodes.h, tcop/utility.h).
 */
static const struct sw_pg_exec_layout known[] = {
	{ .major = 15, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 237, .ps_command_type = 4,
	  .ps_can_set_tag = 18, .ps_utility_stmt = 112, .ps_stmt_location = 120, .ps_stmt_len = 124,
	  .pu_context_arg = 4, .portal_source_text = 56, .cmd_utility = 6 },
	/* 16 and 17: PlannedStmt gained permInfos (utilityStmt moves to 120); node tags are renumbered
	 * by every major (the tag is read from the binary's own code, never assumed). */
	{ .major = 16, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 309, .ps_command_type = 4,
	  .ps_can_set_tag = 18, .ps_utility_stmt = 120, .ps_stmt_location = 128, .ps_stmt_len = 132,
	  .pu_context_arg = 4, .portal_source_text = 56, .cmd_utility = 6 },
	{ .major = 17, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 326, .ps_command_type = 4,
	  .ps_can_set_tag = 18, .ps_utility_stmt = 120, .ps_stmt_location = 128, .ps_stmt_len = 132,
	  .pu_context_arg = 4, .portal_source_text = 56, .cmd_utility = 6 },
	/* 18: planId (8) after queryId, partPruneInfos and unprunableRelids before utilityStmt. */
	{ .major = 18, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 330, .ps_command_type = 4,
	  .ps_can_set_tag = 26, .ps_utility_stmt = 144, .ps_stmt_location = 152, .ps_stmt_len = 156,
	  .pu_context_arg = 4, .portal_source_text = 56, .cmd_utility = 6 },
	/* 13: PlannedStmt has rootResultRelations and appendRelations (utilityStmt at 120); ProcessUtility
	 * has no readOnlyTree yet (context is its third argument); pg_plan_queries copies no queryId. */
	{ .major = 13, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 232, .ps_command_type = 4,
	  .ps_can_set_tag = 18, .ps_utility_stmt = 120, .ps_stmt_location = 128, .ps_stmt_len = 132,
	  .pu_context_arg = 3, .portal_source_text = 48, .cmd_utility = 5 },
	/* 12: no appendRelations (utilityStmt at 112). */
	{ .major = 12, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 229, .ps_command_type = 4,
	  .ps_can_set_tag = 18, .ps_utility_stmt = 112, .ps_stmt_location = 120, .ps_stmt_len = 124,
	  .pu_context_arg = 3, .portal_source_text = 48, .cmd_utility = 5 },
	/* 14: PlannedStmt as in 15; CMD_UTILITY is 5 (no CMD_MERGE yet); PortalData has no createLevel. */
	{ .major = 14, .qd_plannedstmt = 8, .qd_source_text = 16, .ps_tag = 237, .ps_command_type = 4,
	  .ps_can_set_tag = 18, .ps_utility_stmt = 112, .ps_stmt_location = 120, .ps_stmt_len = 124,
	  .pu_context_arg = 4, .portal_source_text = 48, .cmd_utility = 5 },
};

/* CmdType CMD_UTILITY: 5 in 12-14, 6 from 15 on. */
#define CMD_UTILITY_OLD 5
#define CMD_UTILITY 6
#define IS_CMD_UTILITY(v) ((v) == CMD_UTILITY_OLD || (v) == CMD_UTILITY)

enum mov_kind { MOV_LOAD, MOV_STORE, MOV_LOAD_RIP, MOV_REG };

struct mov {
	size_t len;
	enum mov_kind kind;
	int size;       /* 1, 4 or 8 */
	int reg;        /* the register operand (0..15) */
	int base;       /* memory base register, or the r/m register for MOV_REG */
	int32_t disp;
};

/*
 * One "mov" between a register and [base + disp] (or rip + disp32), a
 * register-to-register mov, or movzbl: the forms field copies compile to.
 */
static bool decode_mov(const unsigned char *c, size_t n, struct mov *m)
{
	size_t i = 0;
	int rex = 0, mod, rm, modrm;
	bool byte_load = false;

	memset(m, 0, sizeof(*m));
	if (i < n && (c[i] & 0xf0) == 0x40)
		rex = c[i++];
	if (i >= n)
		return false;
	switch (c[i]) {
	case 0x8b: m->kind = MOV_LOAD; m->size = rex & 8 ? 8 : 4; i++; break;
	case 0x89: m->kind = MOV_STORE; m->size = rex & 8 ? 8 : 4; i++; break;
	case 0x88: m->kind = MOV_STORE; m->size = 1; i++; break;
	case 0x8a: m->kind = MOV_LOAD; m->size = 1; byte_load = true; i++; break;   /* mov disp(base),%r8 */
	case 0x0f:
		if (i + 1 >= n || c[i + 1] != 0xb6)
			return false;
		m->kind = MOV_LOAD;
		m->size = 1;
		byte_load = true;
		i += 2;
		break;
	default:
		return false;
	}
	if (i >= n)
		return false;
	modrm = c[i++];
	mod = modrm >> 6;
	rm = modrm & 7;
	m->reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	if (mod == 3) {
		if (byte_load || m->kind == MOV_LOAD)
			return false;
		m->kind = MOV_REG;   /* mov %reg, %rm */
		m->base = rm | (rex & 1 ? 8 : 0);
		m->len = i;
		return true;
	}
	if (mod == 0 && rm == 5) {
		if (i + 4 > n || m->kind != MOV_LOAD)
			return false;
		memcpy(&m->disp, c + i, 4);
		m->kind = MOV_LOAD_RIP;
		m->len = i + 4;
		return true;
	}
	if (rm == 4) {
		int sib;
		if (i >= n)
			return false;
		sib = c[i++];
		if ((((sib >> 3) & 7) | (rex & 2 ? 8 : 0)) != 4)
			return false;   /* an index register: not a field access */
		m->base = (sib & 7) | (rex & 1 ? 8 : 0);
		if ((sib & 7) == 5 && mod == 0)
			return false;
	} else {
		m->base = rm | (rex & 1 ? 8 : 0);
	}
	if (mod == 1) {
		if (i >= n)
			return false;
		m->disp = (int8_t)c[i++];
	} else if (mod == 2) {
		if (i + 4 > n)
			return false;
		memcpy(&m->disp, c + i, 4);
		i += 4;
	}
	m->len = i;
	return true;
}

#define RDI 7
#define RSI 6

/* Registers that hold argument register arg (copied by "mov %arg,%r") anywhere in the code. */
static unsigned copies_of(const unsigned char *code, size_t n, int arg)
{
	unsigned set = 1u << arg;
	struct mov m;

	for (size_t i = 0; i < n; i++)
		if (decode_mov(code + i, n - i, &m) && m.kind == MOV_REG && m.reg == arg)
			set |= 1u << m.base;
	return set;
}

/* A spill of arg to [base + disp] and a reload into r somewhere after it. */
static unsigned reloads_of(const unsigned char *code, size_t n, int arg)
{
	unsigned set = 0;
	struct mov s, l;

	for (size_t i = 0; i < n; i++) {
		if (!decode_mov(code + i, n - i, &s) || s.kind != MOV_STORE || s.size != 8 || s.reg != arg)
			continue;
		for (size_t j = i + s.len; j < n; j++)
			if (decode_mov(code + j, n - j, &l) && l.kind == MOV_LOAD && l.size == 8 && l.base == s.base &&
			    l.disp == s.disp)
				set |= 1u << l.reg;
	}
	return set;
}

bool sw_pg_decode_create_query_desc(const unsigned char *code, size_t n, uint32_t *qd_plannedstmt,
				    uint32_t *qd_source_text, uint32_t *ps_command_type)
{
	unsigned ps_regs = copies_of(code, n, RDI), src_regs = copies_of(code, n, RSI) | reloads_of(code, n, RSI);
	struct mov a, b;

	/* qd->operation = plannedstmt->commandType: a 4-byte load from [ps + x] stored to [qd + 0]. */
	for (size_t i = 0; i < n; i++) {
		if (!decode_mov(code + i, n - i, &a) || a.kind != MOV_LOAD || a.size != 4 || !(ps_regs >> a.base & 1) ||
		    a.disp <= 0 || a.disp > 64)
			continue;
		for (size_t j = i + a.len; j < n && j < i + a.len + 32; j++) {
			int qd;
			if (!decode_mov(code + j, n - j, &b) || b.kind != MOV_STORE || b.size != 4 || b.reg != a.reg ||
			    b.disp != 0)
				continue;
			qd = b.base;
			/* qd->plannedstmt = plannedstmt; qd->sourceText = sourceText (the next field). */
			for (size_t k = 0; k < n; k++) {
				struct mov c1, c2;
				if (!decode_mov(code + k, n - k, &c1) || c1.kind != MOV_STORE || c1.size != 8 ||
				    c1.base != qd || !(ps_regs >> c1.reg & 1) || c1.disp <= 0 || c1.disp > 64)
					continue;
				for (size_t l = 0; l < n; l++)
					if (decode_mov(code + l, n - l, &c2) && c2.kind == MOV_STORE && c2.size == 8 &&
					    c2.base == qd && (src_regs >> c2.reg & 1) && c2.disp == c1.disp + 8) {
						*qd_plannedstmt = (uint32_t)c1.disp;
						*qd_source_text = (uint32_t)c2.disp;
						*ps_command_type = (uint32_t)a.disp;
						return true;
					}
			}
		}
	}
	return false;
}

/* "movl $imm32, disp(base)" (c7 /0, no index register): *base, *disp and *imm; its length, or 0. */
static size_t decode_store_imm32(const unsigned char *c, size_t n, int *base, int32_t *disp, uint32_t *imm)
{
	size_t i = 0;
	int rex = 0, mod, rm;

	if (i < n && (c[i] & 0xf0) == 0x40)
		rex = c[i++];
	if (rex & 8 || i + 2 > n || c[i] != 0xc7 || ((c[i + 1] >> 3) & 7) != 0)
		return 0;
	mod = c[i + 1] >> 6;
	rm = c[i + 1] & 7;
	i += 2;
	if (mod == 3 || rm == 4 || (mod == 0 && rm == 5))
		return 0;
	*base = rm | (rex & 1 ? 8 : 0);
	*disp = 0;
	if (mod == 1) {
		if (i >= n)
			return 0;
		*disp = (int8_t)c[i++];
	} else if (mod == 2) {
		if (i + 4 > n)
			return 0;
		memcpy(disp, c + i, 4);
		i += 4;
	}
	if (i + 4 > n)
		return 0;
	memcpy(imm, c + i, 4);
	return i + 4;
}

/*
 * The start of the utility branch's node: the tag and commandType as one
 * 8-byte constant loaded from read-only data and stored at [stmt] (GCC 12), or
 * as two immediate stores "movl $tag,(stmt); movl $CMD_UTILITY,4(stmt)" (GCC 7).
 * Returns the length of the sequence at c (0: not one) and sets *stmt, tag.
 */
static size_t node_start(const unsigned char *c, size_t n, uint64_t vaddr, sw_pg_read_fn read, void *ctx, int *stmt,
			 uint32_t konst[2])
{
	struct mov m, st;
	size_t k, k2;
	int b1, b2;
	int32_t d1, d2;
	uint32_t cmd;

	if (decode_mov(c, n, &m) && m.kind == MOV_LOAD_RIP && m.size == 8) {
		k = m.len;
		if (!decode_mov(c + k, n - k, &st) || st.kind != MOV_STORE || st.size != 8 || st.reg != m.reg ||
		    st.disp != 0)
			return 0;
		if (!read(ctx, vaddr + k + (uint64_t)(int64_t)m.disp, konst, 2 * sizeof(uint32_t)) ||
		    !IS_CMD_UTILITY(konst[1]))
			return 0;
		*stmt = st.base;
		return k + st.len;
	}
	if (!(k = decode_store_imm32(c, n, &b1, &d1, &konst[0])) || d1 != 0 ||
	    !(k2 = decode_store_imm32(c + k, n - k, &b2, &d2, &cmd)) || b2 != b1 || d2 != 4 || !IS_CMD_UTILITY(cmd))
		return 0;
	konst[1] = cmd;
	*stmt = b1;
	return k + k2;
}

bool sw_pg_decode_plan_queries(const unsigned char *code, size_t n, uint64_t vaddr, sw_pg_read_fn read, void *ctx,
			       struct sw_pg_exec_layout *out)
{

	/*
	 * The utility branch: stmt = makeNode(PlannedStmt); stmt->commandType = CMD_UTILITY
	 * (one 8-byte constant stored at [stmt]), then the copies from the Query:
	 * canSetTag (1 byte), utilityStmt and queryId (8), stmt_location, stmt_len (4).
	 */
	for (size_t i = 0; i < n; i++) {
		uint32_t konst[2];
		int stmt;
		int32_t ptr8[2] = { -1, -1 }, loc = -1, len = -1, cst = -1;
		int n8 = 0;
		size_t k;

		if (!(k = node_start(code + i, n - i, vaddr + i, read, ctx, &stmt, konst)))
			continue;
		k += i;
		/* Consecutive load/store pairs into the new node. */
		for (int pair = 0; pair < 8; pair++) {
			struct mov ld, sv;
			if (!decode_mov(code + k, n - k, &ld) || ld.kind != MOV_LOAD)
				break;
			if (!decode_mov(code + k + ld.len, n - k - ld.len, &sv) || sv.kind != MOV_STORE ||
			    sv.base != stmt || sv.reg != ld.reg || sv.size != ld.size)
				break;
			k += ld.len + sv.len;
			if (sv.size == 1)
				cst = sv.disp;
			else if (sv.size == 8 && n8 < 2)
				ptr8[n8++] = sv.disp;
			else if (sv.size == 4 && loc < 0)
				loc = sv.disp;
			else if (sv.size == 4)
				len = sv.disp;
		}
		if (cst < 0 || n8 < 1 || loc < 0 || len < 0)
			continue;
		/* queryId follows the node tag and command type (8); the other pointer is utilityStmt.
		 * 12 and 13 do not copy queryId here: their one pointer is utilityStmt. */
		if (n8 == 2 ? ptr8[0] != 8 && ptr8[1] != 8 : ptr8[0] == 8)
			continue;
		if (loc > len) {
			int32_t t = loc;
			loc = len;
			len = t;
		}
		memset(out, 0, sizeof(*out));
		out->ps_tag = konst[0];
		out->cmd_utility = konst[1];
		out->ps_command_type = 4;
		out->ps_can_set_tag = (uint32_t)cst;
		out->ps_utility_stmt = (uint32_t)(n8 == 2 && ptr8[0] == 8 ? ptr8[1] : ptr8[0]);
		out->ps_stmt_location = (uint32_t)loc;
		out->ps_stmt_len = (uint32_t)len;
		return len == loc + 4;
	}
	return false;
}

#define RDX 2

bool sw_pg_decode_portal_define(const unsigned char *code, size_t n, uint32_t *source_text)
{
	unsigned portal = copies_of(code, n, RDI), text = copies_of(code, n, RDX), name = copies_of(code, n, RSI);
	bool saw_name = false;
	struct mov m;

	/* portal->prepStmtName = prepStmtName (8); portal->sourceText = sourceText. */
	for (size_t i = 0; i < n; i++) {
		if (!decode_mov(code + i, n - i, &m) || m.kind != MOV_STORE || m.size != 8 || !(portal >> m.base & 1))
			continue;
		if ((name >> m.reg & 1) && m.disp == 8)
			saw_name = true;
		if ((text >> m.reg & 1) && m.disp > 8 && m.disp < 256 && saw_name) {
			*source_text = (uint32_t)m.disp;
			return true;
		}
	}
	return false;
}

const struct sw_pg_exec_layout *sw_pg_exec_layout_known(int major)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].major == major)
			return &known[i];
	return NULL;
}

bool sw_pg_exec_layout_check(int major, const struct sw_pg_exec_layout *derived, char *why, size_t len)
{
	const struct sw_pg_exec_layout *k = sw_pg_exec_layout_known(major);

	if (!k) {
		snprintf(why, len, "PostgreSQL %d's executor structures are not in sqlward's verified table", major);
		return false;
	}
	if (derived->qd_plannedstmt != k->qd_plannedstmt || derived->qd_source_text != k->qd_source_text ||
	    derived->ps_command_type != k->ps_command_type || derived->ps_tag != k->ps_tag ||
	    derived->ps_can_set_tag != k->ps_can_set_tag || derived->ps_utility_stmt != k->ps_utility_stmt ||
	    derived->ps_stmt_location != k->ps_stmt_location || derived->ps_stmt_len != k->ps_stmt_len ||
	    derived->portal_source_text != k->portal_source_text || derived->cmd_utility != k->cmd_utility) {
		snprintf(why, len, "the binary's code stores QueryDesc/PlannedStmt fields at offsets "
			 "(plannedstmt %u, sourceText %u, commandType %u, canSetTag %u, utilityStmt %u, "
			 "stmt_location %u, stmt_len %u, tag %u, Portal.sourceText %u, CMD_UTILITY %u) other than "
			 "PostgreSQL %d's verified ones",
			 derived->qd_plannedstmt, derived->qd_source_text, derived->ps_command_type,
			 derived->ps_can_set_tag, derived->ps_utility_stmt, derived->ps_stmt_location,
			 derived->ps_stmt_len, derived->ps_tag, derived->portal_source_text, derived->cmd_utility, major);
		return false;
	}
	return true;
}
