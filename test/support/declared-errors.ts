import { afterAll, afterEach } from "vitest";
import { takeUndeclaredErrors } from "../../src/http/declared-errors.js";

/**
 * Fails the test during which a route answered an error it does not declare (apps built with
 * `checkDeclaredErrors`, as startTestApp does). The answer itself was already a 500 naming it;
 * this also catches a test that did not look at the status.
 */
function failOnUndeclared(): void {
  const found = takeUndeclaredErrors();
  if (found.length > 0) {
    throw new Error(
      `Undeclared error answers (declare them in the route's schema.errors):\n${found.join("\n")}`,
    );
  }
}

afterEach(failOnUndeclared);
afterAll(failOnUndeclared);
