import type { Ref } from "react";
import {
  TextField as AriaTextField,
  type TextFieldProps as AriaTextFieldProps,
  FieldError,
  Input,
  Label,
  Text,
} from "react-aria-components";

export interface TextFieldProps extends Omit<AriaTextFieldProps, "children"> {
  label: string;
  description?: string;
  /** The problem to show under the field (from the form or from the API's `details`). */
  error?: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
  placeholder?: string;
}

/** A labelled input whose error is announced and tied to it with aria-describedby. */
export function TextField({
  label,
  description,
  error,
  inputRef,
  placeholder,
  ...props
}: TextFieldProps) {
  return (
    <AriaTextField
      {...props}
      isInvalid={!!error}
      validationBehavior="aria"
      className="flex flex-col gap-1"
    >
      <Label className="text-sm font-medium text-slate-800">{label}</Label>
      <Input
        ref={inputRef}
        placeholder={placeholder}
        className="rounded-md border border-slate-400 bg-white px-3 py-2 text-sm text-slate-900 data-[invalid]:border-danger-700"
      />
      {description && (
        <Text slot="description" className="text-xs text-slate-600">
          {description}
        </Text>
      )}
      <FieldError className="text-sm text-danger-700">{error}</FieldError>
    </AriaTextField>
  );
}
