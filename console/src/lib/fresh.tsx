import { createContext, type ReactNode, useCallback, useContext, useRef, useState } from "react";
import { Form } from "react-aria-components";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { TextField } from "../ui/TextField";
import { ApiError, api, unwrap } from "./api";
import { errorMessage } from "./errors";

/** Thrown by `fresh()` when the person closes the password dialog instead of confirming. */
export class ReauthenticationCancelled extends Error {
  constructor() {
    super("Cancelled.");
  }
}

type Fresh = <T>(action: () => Promise<T>) => Promise<T>;

const FreshContext = createContext<Fresh | null>(null);

/**
 * `fresh(action)` runs an action that may need a fresh session. When the API answers
 * `session_not_fresh`, a dialog asks for the password, re-authenticates, and runs the same action
 * again by itself: the caller sees only the final result.
 */
export function useFresh(): Fresh {
  const fresh = useContext(FreshContext);
  if (!fresh) throw new Error("useFresh needs a FreshSessionProvider");
  return fresh;
}

interface Waiting {
  action: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

async function reauthenticateWithApi(password: string): Promise<void> {
  await unwrap(api.POST("/api/v1/auth/reauthenticate", { body: { password } }));
}

export function FreshSessionProvider({
  children,
  reauthenticate = reauthenticateWithApi,
  otherWays,
}: {
  children: ReactNode;
  reauthenticate?: (password: string) => Promise<void>;
  /** Other ways to confirm (a linked social provider), shown under the password. */
  otherWays?: ReactNode;
}) {
  const [waiting, setWaiting] = useState<Waiting | null>(null);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const busy = useRef(false);

  const fresh = useCallback<Fresh>(async (action) => {
    try {
      return await action();
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.code === "session_not_fresh")) throw failure;
      return new Promise((resolve, reject) => {
        setPassword("");
        setError(null);
        setWaiting({ action, resolve: resolve as (value: unknown) => void, reject });
      });
    }
  }, []);

  const cancel = () => {
    waiting?.reject(new ReauthenticationCancelled());
    setWaiting(null);
  };

  const confirm = async () => {
    if (!waiting || busy.current) return;
    busy.current = true;
    setPending(true);
    setError(null);
    try {
      await reauthenticate(password);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.code === "invalid_password"
          ? "That password is not correct."
          : errorMessage(failure),
      );
      return;
    } finally {
      busy.current = false;
      setPending(false);
    }
    setWaiting(null);
    waiting.action().then(waiting.resolve, waiting.reject);
  };

  return (
    <FreshContext.Provider value={fresh}>
      {children}
      <Dialog
        title="Confirm your password"
        isOpen={waiting !== null}
        onOpenChange={(open) => {
          if (!open) cancel();
        }}
      >
        <Form
          className="flex flex-col gap-4"
          onSubmit={(event) => {
            event.preventDefault();
            void confirm();
          }}
        >
          <p className="text-sm text-slate-700">
            For your security, enter your password again to continue.
          </p>
          {error && <Banner tone="error">{error}</Banner>}
          <TextField
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={setPassword}
            autoFocus
          />
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onPress={cancel}>
              Cancel
            </Button>
            <Button type="submit" pending={pending}>
              Confirm
            </Button>
          </div>
          {otherWays}
        </Form>
      </Dialog>
    </FreshContext.Provider>
  );
}
