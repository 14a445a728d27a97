import { type Control, Controller, type FieldValues, type Path } from "react-hook-form";
import { TextField } from "./TextField";

/** A TextField bound to a react-hook-form field, showing its error (the form's or the API's). */
export function FormField<T extends FieldValues>({
  control,
  name,
  label,
  type = "text",
  autoComplete,
  description,
}: {
  control: Control<T>;
  name: Path<T>;
  label: string;
  type?: "text" | "email" | "password";
  autoComplete?: string;
  description?: string;
}) {
  return (
    <Controller
      control={control}
      name={name}
      render={({ field, fieldState }) => (
        <TextField
          label={label}
          type={type}
          name={field.name}
          value={field.value ?? ""}
          onChange={field.onChange}
          onBlur={field.onBlur}
          inputRef={field.ref}
          autoComplete={autoComplete}
          description={description}
          error={fieldState.error?.message}
        />
      )}
    />
  );
}
