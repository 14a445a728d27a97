import { Button as AriaButton, type ButtonProps as AriaButtonProps } from "react-aria-components";

const VARIANTS = {
  primary: "bg-brand-700 text-white hover:bg-brand-800 data-[pressed]:bg-brand-800",
  secondary: "bg-white text-slate-900 border border-slate-300 hover:bg-slate-100",
  danger: "bg-danger-700 text-white hover:bg-danger-600",
  quiet: "bg-transparent text-slate-800 hover:bg-slate-200",
} as const;

export interface ButtonProps extends AriaButtonProps {
  variant?: keyof typeof VARIANTS;
  /** Shows progress and refuses a second press until the action settles. */
  pending?: boolean;
  className?: string;
}

/** Atrium's button: a pending button keeps its name, says so, and cannot be pressed again. */
export function Button({ variant = "primary", pending, className = "", ...props }: ButtonProps) {
  return (
    <AriaButton
      {...props}
      isPending={pending ?? props.isPending}
      className={`inline-flex items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-medium transition-colors disabled:opacity-60 data-[pending]:cursor-wait ${VARIANTS[variant]} ${className}`}
    >
      {(state) => (
        <>
          {state.isPending && (
            <span
              aria-hidden="true"
              className="size-4 animate-spin rounded-full border-2 border-current border-t-transparent"
            />
          )}
          {typeof props.children === "function" ? props.children(state) : props.children}
        </>
      )}
    </AriaButton>
  );
}
