// call_function (interpreter.h): the entry for hosts. It checks the call,
// starts the step budget of an outermost call, and runs the function through
// its dispatch entry: native code through the JIT's hooks when installed,
// else the interpreter. A trap leaves instance.trap saying where.
#include <microjit/module/interpreter.h>
#include <microjit/module/interpreter_code.h>

ErrorOr<Value> call_function(ModuleInstance& instance, u32 function, const Value* args, u32 arg_count)
{
    if (function >= instance.module->function_count)
        return Error::NoSuchFunction;
    if (arg_count != instance.module->functions[function].param_count)
        return Error::InvalidArgument;
    if (instance.call_depth == 0)
        instance.steps_left = instance.step_limit;
    instance.trap = TrapInfo { Error::Ok, 0, 0 };
    Value result {};
    Error error;
    if (instance.dispatch[function] != 0 && instance.hooks) {
        count_call(instance, function);
        error = instance.hooks->call_native(instance, function, args, &result);
    } else {
        error = interpret_call(&instance, function, args, &result);
    }
    if (error != Error::Ok) {
        if (instance.trap.error == Error::Ok)
            instance.trap = TrapInfo { error, function, TrapInfo::unknown_offset };
        return error;
    }
    return result;
}
