import { zodResolver } from "@hookform/resolvers/zod";
import { useRef, useState } from "react";
import { type DefaultValues, type FieldValues, type Path, useForm } from "react-hook-form";
import type { z } from "zod/mini";
import { errorMessage, fieldErrors } from "./errors";

/**
 * A form that checks its fields with zod, sends once at a time, and puts the API's answer where
 * it belongs: per-field problems (`details`) next to their fields, anything else above the form.
 */
export function useApiForm<T extends FieldValues>(
  schema: z.ZodMiniType<T, T>,
  defaults: DefaultValues<T>,
  action: (values: T) => Promise<void>,
  aliases: Record<string, string> = {},
) {
  const form = useForm<T>({ resolver: zodResolver(schema), defaultValues: defaults });
  const [formError, setFormError] = useState<string | null>(null);
  const busy = useRef(false);
  const onSubmit = form.handleSubmit(async (values) => {
    if (busy.current) return;
    busy.current = true;
    setFormError(null);
    try {
      await action(values);
    } catch (error) {
      const fields = fieldErrors(error, Object.keys(defaults), aliases);
      const entries = Object.entries(fields);
      for (const [name, message] of entries) {
        form.setError(name as Path<T>, { type: "server", message }, { shouldFocus: true });
      }
      if (entries.length === 0) setFormError(errorMessage(error));
    } finally {
      busy.current = false;
    }
  });
  return { form, onSubmit, formError, setFormError, pending: form.formState.isSubmitting };
}
