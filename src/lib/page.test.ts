import { describe, expect, it } from "vitest";
import { readPage } from "./page.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i + 1}` }));

describe("readPage", () => {
  it("asks for one row more than the page and gives the last shown row's key as the cursor", async () => {
    const asked: number[] = [];
    const page = await readPage(
      2,
      async (limit) => {
        asked.push(limit);
        return rows(limit);
      },
      (row) => row.id.toUpperCase(),
    );
    expect(asked).toEqual([3]);
    expect(page).toEqual({ items: ["R1", "R2"], nextCursor: "r2" });
  });

  it("answers no cursor on the last page, full or not", async () => {
    expect(
      await readPage(
        2,
        async () => rows(2),
        (row) => row.id,
      ),
    ).toEqual({
      items: ["r1", "r2"],
      nextCursor: null,
    });
    expect(
      await readPage(
        2,
        async () => [],
        (row: { id: string }) => row,
      ),
    ).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it("takes the cursor from another key when the rows are ordered by it", async () => {
    const page = await readPage(
      1,
      async () => [
        { id: "org_b", member_id: "mem_1" },
        { id: "org_a", member_id: "mem_2" },
      ],
      (row) => row.id,
      (row) => row.member_id,
    );
    expect(page).toEqual({ items: ["org_b"], nextCursor: "mem_1" });
  });
});
