import { Checkbox as AriaCheckbox, type CheckboxProps } from "react-aria-components";

export function Checkbox({ children, ...props }: CheckboxProps & { children: string }) {
  return (
    <AriaCheckbox {...props} className="group flex items-center gap-2 text-sm text-slate-800">
      <span
        aria-hidden="true"
        className="flex size-4 items-center justify-center rounded border border-slate-500 bg-white group-data-[selected]:border-brand-700 group-data-[selected]:bg-brand-700 group-data-[focus-visible]:outline-2 group-data-[focus-visible]:outline-brand-600"
      >
        <svg
          aria-hidden="true"
          viewBox="0 0 12 12"
          className="hidden size-3 fill-none stroke-white stroke-2 group-data-[selected]:block"
        >
          <polyline points="2 6 5 9 10 3" />
        </svg>
      </span>
      {children}
    </AriaCheckbox>
  );
}
